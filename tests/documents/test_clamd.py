"""The virus-scan hook against a real ClamAV daemon (Debian's clamav-daemon, ``make clamd``), with a
signature database of its own: one hash signature (.hdb) naming a file made here, since the real
signatures come from the internet (freshclam) and this machine has none."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.documents.conftest import JPEG
from tools import stack
from web.documents import checks
from web.documents.scan import CLEAN, Clamd

INFECTED = JPEG[:-2] + b"Civic test: this photo carries a made-up signature" + b"\xff\xd9"


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"zPING\0")
            return conn.recv(16).startswith(b"PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def clamd_address(tmp_path_factory) -> Iterator[str]:
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    work = tmp_path_factory.mktemp("clamd")
    (work / "db").mkdir()
    (work / "db" / "civic-test.hdb").write_text(
        f"{hashlib.md5(INFECTED).hexdigest()}:{len(INFECTED)}:Civic.Test.Signature\n"
    )
    port = stack.free_port()
    (work / "clamd.conf").write_text(
        f"Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {work / 'db'}\n"
        f"LogFile {work / 'clamd.log'}\nStreamMaxLength 25M\n"
    )
    proc = subprocess.Popen(
        [binary, "-c", str(work / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not _pong(port):
            assert proc.poll() is None, (work / "clamd.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "clamd did not answer PING within 60 s"
            time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_clamd_finds_the_signature_and_the_file_is_refused(clamd_address):
    scanner = Clamd(clamd_address)
    assert scanner.infection(INFECTED) == "Civic.Test.Signature.UNOFFICIAL"  # clamd marks signatures of its own db
    with pytest.raises(checks.Refused) as refused:
        checks.check(INFECTED, 10_000, scanner)
    assert refused.value.code == "infected"


def test_a_clean_photo_is_marked_clean(clamd_address):
    assert Clamd(clamd_address).infection(JPEG) is None
    assert checks.check(JPEG, 10_000, Clamd(clamd_address)).scan == CLEAN
