"""Celery task (the app is ``web.worker``): one subscription notice through bizsend."""

from __future__ import annotations

from web.subscriptions.send import TASK, NoticeSender
from web.worker import celery_app, services

RETRY_DELAYS = (5, 30, 120)  # seconds before trying again after WeChat stayed busy / unreachable


def _sender() -> NoticeSender:
    s = services()
    return NoticeSender(s.database.sessions, s.wechat_api, s.receipts)


@celery_app.task(name=TASK, bind=True, max_retries=len(RETRY_DELAYS))
def send_notice(self, row_id: int) -> None:
    sender = _sender()
    if sender.send(row_id):
        return
    if self.request.retries >= self.max_retries:
        sender.give_up(row_id)
    else:
        raise self.retry(countdown=RETRY_DELAYS[min(self.request.retries, len(RETRY_DELAYS) - 1)])
