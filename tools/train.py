"""Train the Rasa model only when its inputs changed (`python -m tools.train`).

The model is named after a hash of everything that shapes it, so an unchanged
project reuses ``models/<hash>.tar.gz`` and a changed one trains exactly once.
The danger classifier (common/danger/, beside Rasa) is trained here too, the same way;
``python -m tools.train --danger-only`` trains only it (under a minute once the sentence encoder has read the training messages;
longer the first time on a machine: about 17 messages a second were measured under load),
leaving the Rasa model alone.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
INPUTS = (
    "bot/config.yml",
    "bot/domain",
    "bot/data",
    "bot/components",
    "bot/jieba_dict",
    "nlu_data",
    "bot/requirements.txt",
)


def data_hash() -> str:
    digest = hashlib.sha256()
    for entry in INPUTS:
        path = ROOT / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"{data_hash()}.tar.gz"


def cache_dir() -> Path:
    """Rasa's training cache, shared by every clone of the project on this machine (as pip's cache
    is): a component whose inputs and settings are unchanged is restored, not trained again (a
    fresh clone whose data another clone already trained takes about a minute instead of nine).
    Rasa's own default is ``.rasa/cache`` inside the clone; ``RASA_CACHE_DIRECTORY`` overrides."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "civic-assistant" / "rasa"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "bot")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("RASA_CACHE_DIRECTORY", str(cache_dir()))
    return env


def train() -> Path:
    danger_model()
    target = model_path()
    if target.exists():
        print(f"Rasa model is up to date: {target.relative_to(ROOT)}")
        return target
    MODELS.mkdir(exist_ok=True)
    # Two trainings of the same data at once (two terminals, a test run beside `make run`) would
    # each take both cores for the same result: the second waits for the first and reuses it.
    with open(MODELS / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            print(f"Rasa model was trained meanwhile: {target.relative_to(ROOT)}")
            return target
        return _train_rasa(target)


def _train_rasa(target: Path) -> Path:
    print(f"Training the Rasa model (data changed) -> {target.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    subprocess.run(
        [
            str(RASA),
            "train",
            "--config",
            "bot/config.yml",
            "--domain",
            "bot/domain",
            "--data",
            "bot/data",
            "nlu_data",
            "--out",
            str(MODELS),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=ROOT,
        env=rasa_env(),
        check=True,
    )
    print(f"Trained in {time.monotonic() - started:.0f} s", flush=True)
    return target


def danger_model() -> Path:
    from common.danger import classifier

    target = classifier.model_path()
    if target.exists():
        print(f"Danger classifier is up to date: {target.relative_to(ROOT)}")
    else:
        started = time.monotonic()
        classifier.trained()
        print(f"Danger classifier trained in {time.monotonic() - started:.0f} s -> {target.relative_to(ROOT)}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--danger-only", action="store_true", help="train only the danger classifier")
    if parser.parse_args().danger_only:
        danger_model()
        return
    try:
        train()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
