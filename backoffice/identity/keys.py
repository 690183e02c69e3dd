"""The stand-in provider's signing key: from IDP_SIGNING_KEY, or a development key kept in var/.

The development key is made once and kept, so ID tokens stay verifiable across restarts and
across the server's worker processes (the first to start writes it; the others read it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from joserfc.jwk import RSAKey

from common.settings import VAR

DEVELOPMENT_KEY = VAR / "idp_signing_key.pem"


def signing_key(pem: str, development_file: Path = DEVELOPMENT_KEY) -> RSAKey:
    if not pem:
        pem = _development_pem(development_file)
    key = RSAKey.import_key(pem)
    key.ensure_kid()
    return key


def _development_pem(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = RSAKey.generate_key(2048).as_pem(private=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(fresh)
        os.chmod(tmp.name, 0o600)
        try:
            os.link(tmp.name, path)  # fails if another process got there first: theirs is kept
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp.name)
    return path.read_text()
