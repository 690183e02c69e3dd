"""Rasa input channels of this project (loaded by module path from bot/credentials.yml)."""
