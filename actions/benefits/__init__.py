"""Benefits paid on application: 惠民殡葬 (funeral.py) and 残疾人两项补贴 (disability.py).

Importing the package registers their actions with the executor.
"""

from actions.benefits import disability, funeral  # noqa: F401
