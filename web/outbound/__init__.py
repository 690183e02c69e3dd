"""Delivering messages to residents outside a request (WeChat customer-service / template API, web chat)."""

from web.outbound.service import Outbound, Template

__all__ = ["Outbound", "Template"]
