"""The supervisor's view: the desk's figures and a server-rendered SVG chart (no scripts, no CDN)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from markupsafe import Markup, escape

from common.db import session as db_session
from web.admin.guard import requires
from web.console.blueprint import bp
from web.handoff import config, queue, stats

WIDTH, HEIGHT, PAD = 640, 220, 28


def bar_chart(bars: list[stats.HourBar]) -> Markup:
    """Residents queued per hour (blue) with those whose SLA was breached (red) in front."""
    top = max([b.queued for b in bars] + [1])
    slot = (WIDTH - 2 * PAD) / max(len(bars), 1)
    scale = (HEIGHT - 2 * PAD) / top
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="每小时转人工人数与超时人数">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" class="axis"/>',
        f'<text x="{PAD}" y="{PAD - 10}" class="tick">最多 {top} 人/小时</text>',
    ]
    for i, bar in enumerate(bars):
        x = PAD + i * slot + slot * 0.15
        w = slot * 0.7
        for value, cls in ((bar.queued, "queued"), (bar.breached, "breached")):
            h = value * scale
            parts.append(
                f'<rect class="{cls}" x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{w:.1f}" height="{h:.1f}">'
                f"<title>{escape(bar.label)}：{'排队' if cls == 'queued' else '超时'} {value} 人</title></rect>"
            )
        parts.append(
            f'<text class="tick" x="{x + w / 2:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@bp.get("/supervisor")
@requires("supervisor", "admin")
def supervisor_page():
    sess = db_session()
    now = config.utcnow()
    figures = stats.figures(sess, now)
    overdue = [t for t in queue.waiting(sess, current_user) if queue.sla_breached(t, now)]
    return render_template(
        "console/supervisor.html", figures=figures, chart=bar_chart(figures.hours), overdue=overdue, now=now
    )
