"""The WeChat channel's stack (real web and worker processes, the WeChat stand-in) for the notice tests."""

from tests.wechat.conftest import rasa_standin, wechat_stack  # noqa: F401
