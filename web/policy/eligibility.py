"""Each benefit's eligibility as the back-office defines it: the rule a campaign's builder starts from.

The back-office publishes it (``GET /assistance/eligibility``, ``GET /eldercare/eligibility``) from
its own standards and allowance bands, in the audience-rule language; this module only reads and
keeps it for a few minutes. When the back-office cannot be read, the builder starts empty and says so:
a starting rule is never made up here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from web.policy import rules

log = logging.getLogger(__name__)

SOURCES = ("/assistance/eligibility", "/eldercare/eligibility")
KEEP_SECONDS = 300


@dataclass(frozen=True)
class Eligibility:
    benefit: str
    summary: str  # the rule in plain Chinese, as the back-office words it
    rule: dict[str, Any]


class Catalogue:
    """The back-office's eligibility per benefit, read at most every :data:`KEEP_SECONDS`."""

    def __init__(self, client: BackofficeClient | None) -> None:
        self.client = client
        self.lock = threading.Lock()
        self.read_at = -KEEP_SECONDS * 2.0
        self.known: dict[str, Eligibility] = {}

    def all(self) -> dict[str, Eligibility]:
        with self.lock:
            if time.monotonic() - self.read_at >= KEEP_SECONDS:
                found = self._read()
                if found is not None:
                    self.known, self.read_at = found, time.monotonic()
            return dict(self.known)

    def _read(self) -> dict[str, Eligibility] | None:
        if self.client is None:
            return None
        found: dict[str, Eligibility] = {}
        try:
            for path in SOURCES:
                for entry in self.client.get(path)["benefits"]:
                    try:
                        rules.parse(entry["rule"])  # the same validation as every rule
                    except rules.RuleInvalid as exc:
                        log.warning(
                            "the back-office's rule for a benefit is not valid", extra={"error": str(exc)[:300]}
                        )
                        continue
                    found[entry["benefit"]] = Eligibility(entry["benefit"], entry["summary"], entry["rule"])
        except (BackofficeUnavailable, BackofficeError, KeyError, TypeError) as exc:
            log.warning("benefit eligibility not available from the back-office", extra={"error": str(exc)[:200]})
            return None
        return found
