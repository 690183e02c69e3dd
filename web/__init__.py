"""The platform web app: channels, handoff queue and agent console, campaigns admin."""
