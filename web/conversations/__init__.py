"""Conversations and their transcripts, whatever the channel."""
