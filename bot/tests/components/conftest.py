"""Make ``components`` importable the way Rasa does (PYTHONPATH=bot)."""

import sys
from pathlib import Path

BOT = Path(__file__).resolve().parents[2]
if str(BOT) not in sys.path:
    sys.path.insert(0, str(BOT))
