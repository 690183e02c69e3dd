"""Resident-facing channels: WeChat Official Account and the Rasa REST-compatible web chat."""
