"""Retention: transcripts and residents' personal data are deleted or anonymised after a period."""
