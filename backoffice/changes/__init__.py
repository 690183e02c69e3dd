"""The change feed: what happened to a resident's application or appointment, for the platform to tell them."""
