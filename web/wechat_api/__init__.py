"""The outbound WeChat API client: a shared access_token and the message-sending calls."""

from web.wechat_api.client import WechatApi
from web.wechat_api.errors import InDoubt, RateLimited, RuleBroken, Transient, WechatApiError, WindowClosed

__all__ = ["InDoubt", "RateLimited", "RuleBroken", "Transient", "WechatApi", "WechatApiError", "WindowClosed"]
