"""The virus-scan hook: ClamAV's daemon (clamd) when ``CLAMD_ADDRESS`` is set (``host:port``).

A file clamd finds a signature in is refused; a file clamd cannot check (down, timed out) is
kept and marked ``scan_failed``, which the console shows next to it: the resident is never
told their photo was taken when it was not, nor refused for the platform's own outage.
"""

from __future__ import annotations

import io
from typing import Protocol

import clamd

CLEAN, NOT_SCANNED, SCAN_FAILED = "clean", "not_scanned", "scan_failed"


class ScanUnavailable(Exception):
    """The scanner could not say."""


class Scanner(Protocol):
    def infection(self, data: bytes) -> str | None:
        """The signature found in ``data``, or None when clean; :class:`ScanUnavailable` otherwise."""
        ...


class Clamd:
    """clamd's INSTREAM command over TCP (the clamd package)."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port, self.timeout = host or "127.0.0.1", int(port), timeout

    def infection(self, data: bytes) -> str | None:
        try:
            daemon = clamd.ClamdNetworkSocket(self.host, self.port, timeout=self.timeout)
            status, signature = daemon.instream(io.BytesIO(data))["stream"]
        except (clamd.ClamdError, OSError, KeyError, ValueError) as exc:
            raise ScanUnavailable(str(exc)) from exc
        if status == "FOUND":
            return str(signature)
        if status != "OK":  # ERROR: e.g. the stream is over clamd's StreamMaxLength
            raise ScanUnavailable(f"{status}: {signature}")
        return None
