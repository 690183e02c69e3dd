"""Whether a file is taken: its size, its type read from its content (never its name), the scan.

Each refusal carries the plain Chinese the resident is told.
"""

from __future__ import annotations

from dataclasses import dataclass

import filetype

from web.documents.scan import CLEAN, NOT_SCANNED, SCAN_FAILED, Scanner, ScanUnavailable

ACCEPTED = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}  # by magic bytes

REFUSALS = {
    "empty": "这张照片没有收到内容，请重新拍一张发给我。",
    "too_large": "这张照片太大了，我们收不下。请用手机相机重新拍一张发过来（不要发原图），或者把材料分几张拍。",
    "wrong_type": "这个文件我们打不开。请直接用手机拍一张材料的照片发过来，或者发 JPG、PNG 图片或 PDF 文件。",
    "infected": "这个文件没有通过安全检查，我们没有保存。请直接用手机拍一张材料的照片重新发过来。",
}


class Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code, self.message = code, REFUSALS[code]


@dataclass(frozen=True)
class Checked:
    content_type: str
    extension: str
    scan: str  # clean, not_scanned or scan_failed (scan.py)


def check(data: bytes, max_bytes: int, scanner: Scanner | None) -> Checked:
    """The file as it will be kept, or :class:`Refused` with what to tell the resident."""
    if not data:
        raise Refused("empty")
    if len(data) > max_bytes:
        raise Refused("too_large")
    found = filetype.guess(data)
    if found is None or found.mime not in ACCEPTED:
        raise Refused("wrong_type")
    if scanner is None:
        return Checked(found.mime, ACCEPTED[found.mime], NOT_SCANNED)
    try:
        infection = scanner.infection(data)
    except ScanUnavailable:
        return Checked(found.mime, ACCEPTED[found.mime], SCAN_FAILED)
    if infection:
        raise Refused("infected")
    return Checked(found.mime, ACCEPTED[found.mime], CLEAN)
