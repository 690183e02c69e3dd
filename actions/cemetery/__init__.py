"""Cemetery visit booking actions (祭扫预约): booking form, look-up, cancel, move.

Importing the package registers every action with the executor.
"""

from actions.cemetery import booking, manage  # noqa: F401
