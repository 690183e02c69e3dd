"""The conversation suite (issue 22): scripted multi-turn conversations (tests/conversations/data/*.yml)
run through the live stack as residents write, judged on what the system holds afterwards.

``spec`` reads the data files, ``subset`` picks a run's conversations, ``people`` finds and binds the
residents, ``talk`` sends their messages and reads the answers, ``judge`` decides each conversation,
``run`` runs many at once, ``report`` prints the figures. ``python -m tools.conversations`` runs them all.
"""
