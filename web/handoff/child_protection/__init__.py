"""Child protection (未成年人保护) on the platform side: a report of a child at risk, handed to the back-office,
which gives it to the child-protection worker of the resident's community (docs/handoff.md, "Child protection").

The desk calls :func:`report_child_at_risk` in the transaction that records the resident's message; the
referral row is the record, so nothing is lost while the back-office (or Redis) is down: a Celery task sends
it after the commit, retries with backoff, and a sweep on Celery beat sends again whatever is still pending.
"""

from web.handoff.child_protection.referral import KINDS, report_child_at_risk

__all__ = ["KINDS", "report_child_at_risk"]
