"""The campaign send-rate limiter, shared by every worker through the real Redis."""

from __future__ import annotations

import threading

from web.policy.pacing import PushPacer


def test_concurrent_senders_never_start_more_than_the_rate(redis_client):
    rate, senders, per_sender = 20.0, 6, 10  # 60 sends at 20/s: about 3 s
    starts: list[float] = []
    lock = threading.Lock()

    def sender() -> None:
        limiter = PushPacer(redis_client)  # one per worker, as in production
        for _ in range(per_sender):
            slot = limiter.acquire("campaign:test", rate)
            with lock:
                starts.append(slot)  # the time the limiter granted: how late a thread wakes is the OS's

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == senders * per_sender
    # no one-second window holds more than rate (+1 for the window's edge, +1 for the
    # microseconds between Redis's clock and this process's)
    assert max(sum(1 for s in starts[i:] if s - first < 1.0) for i, first in enumerate(starts)) <= rate + 2
    # and the limiter does not throttle far below the rate either
    assert starts[-1] - starts[0] < (len(starts) / rate) * 1.5


def test_a_slot_beyond_the_horizon_is_not_booked(redis_client):
    limiter = PushPacer(redis_client, horizon_seconds=0.5)
    assert limiter.reserve("campaign:slow", 1.0) == 0  # the first slot is now
    assert limiter.reserve("campaign:slow", 1.0) < 0  # the next is 1 s away: beyond the horizon, nothing booked
    assert limiter.reserve("campaign:slow", 1.0) < 0
