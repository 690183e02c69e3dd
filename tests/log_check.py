"""The suite's check that no log line carries an ID number, a phone or a credential (issue 21, item 1).

Every record logged in the test process goes through the handler every process logs with
(``common.logging_setup.make_handler``); every line it writes, and every line the stack's
processes write to their log files (``tools.stack.start_process``), is searched with the same
finder masking uses (every written, spoken, spaced or +86 form) and for ``token=…``. A line that
still shows one fails the session, listed masked. Test data is full of phones and ID numbers in
messages; what is checked is what reaches a log line.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common import logging_setup
from common.masking import find_personal_numbers, mask_credentials
from tools import stack

LISTED = 40  # offending lines shown at the end of the session


def leaks(line: str) -> bool:
    """True when a log line shows an ID number, a phone or a credential (JSON lines: in any value)."""
    return any(find_personal_numbers(text) or mask_credentials(text) != text for text in _texts(line))


def _texts(line: str) -> Iterator[str]:
    """The line, and for a JSON line each of its values decoded (escaped Chinese is text again)."""
    yield line
    try:
        parsed: Any = json.loads(line)
    except ValueError:
        return
    todo = [parsed]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
        elif isinstance(value, str):
            yield value


class _Lines(io.TextIOBase):
    def __init__(self, check: LogCheck) -> None:
        self.check = check

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.check.inspect("test process", line)
        return len(text)


class LogCheck:
    def __init__(self) -> None:
        self.offending: list[str] = []
        self.log_files: set[Path] = set()
        self.scanned: set[Path] = set()
        self.handler = logging_setup.make_handler("pytest", _Lines(self))
        self.handler.kept_by_configure = True  # type: ignore[attr-defined]

    def install(self) -> None:
        logging.getLogger().addHandler(self.handler)
        started = stack.start_process

        def start_process(name: str, env: dict[str, str], log_dir: Path):
            self.log_files.add(log_dir / f"{name}.log")
            return started(name, env, log_dir)

        stack.start_process = start_process  # the same start, its log file remembered

    def inspect(self, where: str, line: str) -> None:
        if leaks(line):
            self.offending.append(f"{where}: {logging_setup.mask_log_text(line)}")

    def scan(self, log_dir: Path) -> None:
        """Check the log files under ``log_dir`` now (a fixture that deletes them calls this first)."""
        for path in sorted(log_dir.rglob("*.log")):
            self._scan_file(path)

    def _scan_file(self, path: Path) -> None:
        if path in self.scanned or not path.is_file():
            return
        self.scanned.add(path)
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                self.inspect(path.name, line.rstrip("\n"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self) -> None:
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for path in sorted(self.log_files):
            self._scan_file(path)
        if not self.offending:
            return
        title = f"{len(self.offending)} log line(s) show an ID number, a phone or a credential (masked here)"
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")
            reporter.write_sep("=", title, red=True)
            for line in self.offending[:LISTED]:
                reporter.write_line(line)
        else:
            print(title, *self.offending[:LISTED], sep="\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


CHECK = LogCheck()
