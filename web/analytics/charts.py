"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable when printed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLOR = "#2f6fb3"


def columns(points: Sequence[tuple[str, float]], title: str, width: int = 720, height: int = 220) -> Markup:
    """A column per point (e.g. per day), the value above it, every few labels below."""
    top = max((v for _, v in points), default=0) or 1
    pad_l, pad_b, pad_t = 10, 40, 24
    slot = (width - pad_l * 2) / max(len(points), 1)
    every = max(1, round(len(points) / 12))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(points):
        h = (height - pad_b - pad_t) * value / top
        x = pad_l + i * slot
        y = height - pad_b - h
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{COLOR}">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
        )
        if value:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">{value:g}</text>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - pad_b + 16}" font-size="11" text-anchor="middle">'
                f"{escape(label[5:] if len(label) == 10 else label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(items: Sequence[tuple[str, float]], title: str, width: int = 720, suffix: str = "") -> Markup:
    """A horizontal bar per item (categories: reasons, intents, rating levels)."""
    row, label_w = 26, 180
    height = max(len(items), 1) * row + 8
    top = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    if not items:
        parts.append('<text x="4" y="18" font-size="13" fill="#666">暂无数据</text>')
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = (width - label_w - 70) * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" font-size="13" text-anchor="end">{escape(str(label))}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLOR}">'
            f"<title>{escape(str(label))}: {value:g}{suffix}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{value:g}{escape(suffix)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
