"""Marriage registration actions: booking form, look-up, cancel, reschedule, materials.

Importing the package registers every action with the executor.
"""

from actions.marriage import booking, manage  # noqa: F401
