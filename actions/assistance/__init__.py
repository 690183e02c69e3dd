"""Social assistance (社会救助): the eligibility pre-check, applying, progress.

Importing the package registers its actions with the executor.
"""

from actions.assistance import apply, check, progress, triage  # noqa: F401
