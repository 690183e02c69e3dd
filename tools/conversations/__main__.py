"""``make conversations``: every conversation of tests/conversations/data through a live stack.

The stack is the test suite's own (the ``live_stack`` fixture of tests/conftest.py: the Procfile's
processes on free ports, PostgreSQL, the WeChat stand-in, the personal-data log check), so this runs
tests/conversations/test_conversations.py with the whole set instead of the subset ``make test`` takes.

    .venv/bin/python -m tools.conversations [--only ids,prefixes,flows,files] [--workers 8]

Prints the figures and the worst conversations (also written to var/conversations/report.txt) and
exits non-zero when the goals are not met (task success ≥ 95 %, no question asked three times).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

from tools.conversations.spec import load


def main() -> int:
    parser = argparse.ArgumentParser(
        "python -m tools.conversations", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="all", help="ids, id prefixes, flows or data files, comma-separated")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CONVERSATION_WORKERS", "8")))
    args = parser.parse_args()
    load()  # a broken data file is reported before a stack starts
    os.environ["CONVERSATIONS"] = args.only
    os.environ["CONVERSATION_WORKERS"] = str(args.workers)
    test = Path(__file__).resolve().parents[2] / "tests" / "conversations" / "test_conversations.py"
    return pytest.main(["-q", "-p", "no:cacheprovider", str(test)])


if __name__ == "__main__":
    sys.exit(main())
