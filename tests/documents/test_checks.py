"""What a file must be to be kept: the checks on their own, and the clamd adapter's answer when
no clamd answers (the real daemon's test: test_clamd.py)."""

from __future__ import annotations

import pytest

from tests.documents.conftest import JPEG, PDF, PNG
from tools import stack
from web.documents import checks
from web.documents.scan import CLEAN, NOT_SCANNED, SCAN_FAILED, Clamd, ScanUnavailable


class Signature:
    """A scanner that knows one file: the checks' part is what they do with a scanner's answer."""

    def __init__(self, bad: bytes) -> None:
        self.bad = bad

    def infection(self, data: bytes) -> str | None:
        return "Test.Signature" if data == self.bad else None


@pytest.mark.parametrize(("data", "kind"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")])
def test_jpeg_png_and_pdf_are_taken_by_their_content(data, kind):
    assert checks.check(data, 10_000, None) == checks.Checked(kind, checks.ACCEPTED[kind], NOT_SCANNED)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (JPEG + b"\x00" * 10_000, "too_large"),
        (b"<html><script>alert(1)</script></html>", "wrong_type"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "wrong_type"),  # a Windows program
        (b"PK\x03\x04\x14\x00\x00\x00", "wrong_type"),  # a zip (an Office file too)
    ],
)
def test_what_is_refused_and_what_the_resident_is_told(data, code):
    with pytest.raises(checks.Refused) as refused:
        checks.check(data, 10_000, None)
    assert refused.value.code == code and refused.value.message == checks.REFUSALS[code]


def test_the_scanner_decides_clean_or_infected():
    assert checks.check(JPEG, 10_000, Signature(PNG)).scan == CLEAN
    with pytest.raises(checks.Refused) as refused:
        checks.check(PNG, 10_000, Signature(PNG))
    assert refused.value.code == "infected"


def test_a_scanner_that_cannot_answer_keeps_the_file_marked():
    unreachable = Clamd(f"127.0.0.1:{stack.free_port()}", timeout=2)
    with pytest.raises(ScanUnavailable):
        unreachable.infection(JPEG)
    assert checks.check(JPEG, 10_000, unreachable).scan == SCAN_FAILED
