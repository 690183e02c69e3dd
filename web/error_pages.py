"""What a person sees when a page is not there, a method is wrong, or the page breaks: plain Chinese,
never Flask's English ("Not Found").

A request for data (JSON, as the console's ``fetch`` calls and the REST channel send) gets
``{"error", "message"}`` with the same status; a person in a browser gets a short page
(``templates/notice.html``, as for an expired form). The campaign link of an old or mistyped message is the common case.
"""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from web.admin.expired import wants_data

MESSAGES = {
    404: (
        "not_found",
        "这个页面找不到了",
        "链接可能已经过期，或者地址不完整。请回到微信里重新打开，或者直接在聊天里告诉我们您要办的事。",
    ),
    405: ("method_not_allowed", "这个页面不能这样打开", "请回到原来的地方，重新打开这个页面再试一次。"),
    500: ("server_error", "系统出了点问题", "请稍等一两分钟再试一次。着急的话，请拨打民政服务热线 12345。"),
}


def _answer(exc: HTTPException):
    code = exc.code or 500
    error, title, text = MESSAGES[code]
    if wants_data():
        return {"error": error, "message": f"{title}。{text}"}, code
    return render_template("notice.html", message=title, again=text), code


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, _answer)
