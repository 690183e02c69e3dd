"""Score the Rasa NLU on the held-out evaluation set (``bot/tests/nlu_eval.yml``).

    .venv/bin/python -m tools.nlu_eval                       # a Rasa server on :5005
    .venv/bin/python -m tools.nlu_eval --url http://host:5005 --token SECRET
    .venv/bin/python -m tools.nlu_eval --start-rasa [--model models/x.tar.gz]

Every utterance is POSTed to ``/model/parse``. Printed: intent accuracy, macro-F1,
the ten most confused (gold -> predicted) pairs, per-entity precision/recall/F1
(an entity counts when type and normalised value match), and the parse latency
median and p95. For the ``faq`` retrieval intent the full ``faq/<key>`` from the
``response_selector`` part of the parse result is compared.

Relative dates (明天, 下周三) in the gold annotations are resolved against the
``# reference_time:`` line of the eval file. ``--start-rasa`` starts the server with
``CIVIC_NLU_NOW`` set to that time. Against a server started otherwise, the script
asks it what 今天 is; when that is not the reference day, ``date`` entities are
compared by type only (and the report says so).

``evaluate(rasa_url, eval_path, token=None) -> EvalReport`` is the API the test
suite uses. Only requests and PyYAML are needed (Python 3.11 app environment).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT / "bot" / "tests" / "nlu_eval.yml"
DEFAULT_URL = "http://127.0.0.1:5005"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"

_ENTITY_RE = re.compile(r"\[(?P<text>[^\]]+)\](?:\{(?P<json>[^}]*)\}|\((?P<paren>[^)]*)\))")
_REFERENCE_RE = re.compile(r"^#\s*reference_time:\s*(\S+)", re.MULTILINE)


@dataclass
class Example:
    text: str
    intent: str
    entities: list[tuple[str, str]]  # (entity, value)


@dataclass
class EntityScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class EvalReport:
    n: int
    intent_accuracy: float
    macro_f1: float
    confusions: list[tuple[str, str, int]]
    per_intent_f1: dict[str, float]
    entity_scores: dict[str, EntityScore]
    entity_micro_f1: float
    latency_median_ms: float
    latency_p95_ms: float
    fallback_count: int = 0
    notes: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def format(self) -> str:
        lines = [
            f"utterances           {self.n}",
            f"intent accuracy      {self.intent_accuracy:.3f}",
            f"intent macro-F1      {self.macro_f1:.3f}",
            f"nlu_fallback         {self.fallback_count}",
            f"entity micro-F1      {self.entity_micro_f1:.3f}",
            f"parse latency        median {self.latency_median_ms:.1f} ms, p95 {self.latency_p95_ms:.1f} ms",
            "",
            "most confused intents (gold -> predicted: count)",
        ]
        lines += [f"  {g} -> {p}: {c}" for g, p, c in self.confusions] or ["  (none)"]
        lines += ["", f"{'entity':<16}{'precision':>10}{'recall':>10}{'F1':>8}{'support':>9}"]
        for name, s in sorted(self.entity_scores.items()):
            lines.append(f"{name:<16}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>8.3f}{s.support:>9}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# ------------------------------------------------------------------ eval file
def parse_annotated(line: str) -> tuple[str, list[tuple[str, str]]]:
    """'约[明天]{"entity": "date", "value": "2026-11-24"}' -> ('约明天', [('date', '2026-11-24')])."""
    entities: list[tuple[str, str]] = []

    def repl(m: re.Match[str]) -> str:
        text = m["text"]
        if m["json"] is not None:
            data = json.loads("{" + m["json"] + "}")
            entities.append((data["entity"], str(data.get("value", text))))
        else:
            name, _, value = m["paren"].partition(":")
            entities.append((name, value or text))
        return text

    return _ENTITY_RE.sub(repl, line), entities


def load_eval(eval_path: Path) -> tuple[list[Example], str | None]:
    raw = Path(eval_path).read_text(encoding="utf-8")
    ref = _REFERENCE_RE.search(raw)
    data = yaml.safe_load(raw) or {}
    examples = []
    for block in data.get("nlu", []):
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text, entities = parse_annotated(line[2:].strip())
            examples.append(Example(text=text, intent=intent, entities=entities))
    return examples, (ref.group(1) if ref else None)


# ------------------------------------------------------------------ scoring
def predicted_intent(parse: dict[str, Any]) -> str:
    name = (parse.get("intent") or {}).get("name") or "None"
    if name == "faq" or name.startswith("faq/"):
        selector = parse.get("response_selector") or {}
        for key in ("faq", "default"):
            full = ((selector.get(key) or {}).get("response") or {}).get("intent_response_key")
            if full:
                return full
    return name


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(
    examples: list[Example], parses: list[dict[str, Any]], latencies: list[float], date_by_type_only: bool = False
) -> EvalReport:
    gold = [e.intent for e in examples]
    pred = [predicted_intent(p) for p in parses]
    n = len(examples)
    correct = sum(g == p for g, p in zip(gold, pred))
    labels = sorted(set(gold))
    per_intent = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        fp = sum(p == label and g != label for g, p in zip(gold, pred))
        fn = sum(g == label and p != label for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per_intent[label] = _f1(prec, rec)
    confusions = Counter((g, p) for g, p in zip(gold, pred) if g != p)

    def norm(ent: str, value: Any) -> tuple[str, str]:
        if date_by_type_only and ent == "date":
            return ent, "*"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return ent, str(value)

    tp_e: Counter[str] = Counter()
    fp_e: Counter[str] = Counter()
    fn_e: Counter[str] = Counter()
    errors = []
    for ex, parse, p_int in zip(examples, parses, pred):
        g = Counter(norm(e, v) for e, v in ex.entities)
        p = Counter(norm(e.get("entity"), e.get("value")) for e in parse.get("entities") or [])
        for key in set(g) | set(p):
            hit = min(g[key], p[key])
            tp_e[key[0]] += hit
            fp_e[key[0]] += p[key] - hit
            fn_e[key[0]] += g[key] - hit
        if p_int != ex.intent or g != p:
            errors.append(
                {
                    "text": ex.text,
                    "gold": ex.intent,
                    "pred": p_int,
                    "confidence": round((parse.get("intent") or {}).get("confidence") or 0.0, 3),
                    "gold_entities": sorted(g.elements()),
                    "pred_entities": sorted(p.elements()),
                }
            )
    entity_scores = {}
    for name in sorted(set(tp_e) | set(fp_e) | set(fn_e)):
        prec = tp_e[name] / (tp_e[name] + fp_e[name]) if tp_e[name] + fp_e[name] else 0.0
        rec = tp_e[name] / (tp_e[name] + fn_e[name]) if tp_e[name] + fn_e[name] else 0.0
        entity_scores[name] = EntityScore(prec, rec, _f1(prec, rec), tp_e[name] + fn_e[name])
    tp, fp, fn = sum(tp_e.values()), sum(fp_e.values()), sum(fn_e.values())
    micro = _f1(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else 0.0
    return EvalReport(
        n=n,
        intent_accuracy=correct / n if n else 0.0,
        macro_f1=sum(per_intent.values()) / len(per_intent) if per_intent else 0.0,
        confusions=[(g, p, c) for (g, p), c in confusions.most_common(10)],
        per_intent_f1=per_intent,
        entity_scores=entity_scores,
        entity_micro_f1=micro,
        latency_median_ms=statistics.median(latencies) if latencies else 0.0,
        latency_p95_ms=p95,
        fallback_count=sum(p == "nlu_fallback" for p in pred),
        errors=errors,
    )


# ------------------------------------------------------------------ HTTP
def _headers(token: str | None) -> dict[str, str]:
    return {"Content-Type": "application/json"}


def _params(token: str | None) -> dict[str, str]:
    return {"token": token} if token else {}


def parse_text(session: requests.Session, rasa_url: str, text: str, token: str | None) -> dict[str, Any]:
    resp = session.post(
        f"{rasa_url.rstrip('/')}/model/parse",
        json={"text": text},
        params=_params(token),
        headers=_headers(token),
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()


def evaluate(rasa_url: str, eval_path: Path, token: str | None = None) -> EvalReport:
    """Parse every held-out utterance with the Rasa server at ``rasa_url`` and score it."""
    examples, reference = load_eval(Path(eval_path))
    session = requests.Session()
    notes = []
    date_by_type_only = False
    if reference and any(e == "date" for ex in examples for e, _ in ex.entities):
        probe = parse_text(session, rasa_url, "今天", token)
        today = next((e.get("value") for e in probe.get("entities") or [] if e.get("entity") == "date"), None)
        if today != reference[:10]:
            date_by_type_only = True
            notes.append(
                f"the server's 今天 is {today}, not the reference day {reference[:10]}: "
                "date entities compared by type only (start it with CIVIC_NLU_NOW or use --start-rasa)"
            )
    for warm in ("你好", "我想预约结婚登记"):  # first parses load lazily; keep them out of the latency figure
        parse_text(session, rasa_url, warm, token)
    parses, latencies = [], []
    for ex in examples:
        started = time.perf_counter()
        parses.append(parse_text(session, rasa_url, ex.text, token))
        latencies.append((time.perf_counter() - started) * 1000.0)
    report = score(examples, parses, latencies, date_by_type_only)
    report.notes = notes
    return report


# ------------------------------------------------------------------ local server
def latest_model() -> Path | None:
    """The model ``make train`` made for the current data, else the newest one in models/."""
    try:
        from tools.train import model_path

        current = model_path()
        if current.exists():
            return current
    except ImportError:
        pass
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def wait_for(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Rasa exited with code {proc.returncode} before answering")
        try:
            if requests.get(f"{url}/status", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1.0)
    raise TimeoutError(f"Rasa did not answer {url}/status within {timeout:.0f} s")


def start_rasa(model: Path, port: int, reference: str | None, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "bot")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    if reference:
        env["CIVIC_NLU_NOW"] = reference
    log = open(log_path, "wb")
    return subprocess.Popen(
        [str(RASA_BIN), "run", "--enable-api", "-p", str(port), "-m", str(model)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the Rasa NLU on the held-out set.")
    parser.add_argument("--url", default=os.environ.get("RASA_URL", DEFAULT_URL), help="Rasa server URL")
    parser.add_argument("--token", default=os.environ.get("RASA_TOKEN"), help="Rasa API token")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="eval file (Rasa NLU YAML)")
    parser.add_argument("--start-rasa", action="store_true", help="start a Rasa server for the run, stop it after")
    parser.add_argument("--model", type=Path, help="model for --start-rasa (default: newest in models/)")
    parser.add_argument("--port", type=int, default=5077, help="port for --start-rasa")
    parser.add_argument("--errors", action="store_true", help="also list every misclassified utterance")
    parser.add_argument("--json", type=Path, help="write the report as JSON here")
    args = parser.parse_args(list(argv) if argv is not None else None)

    proc = None
    url = args.url
    if args.start_rasa:
        model = args.model or latest_model()
        if model is None or not Path(model).exists():
            print("no model: run `make train` or pass --model", file=sys.stderr)
            return 2
        _, reference = load_eval(args.eval)
        log_path = Path(tempfile.gettempdir()) / f"nlu_eval_rasa_{args.port}.log"
        print(f"starting Rasa on :{args.port} with {model} (log: {log_path})", flush=True)
        proc = start_rasa(Path(model), args.port, reference, log_path)
        url = f"http://127.0.0.1:{args.port}"
    try:
        if proc is not None:
            wait_for(url, timeout=300, proc=proc)
        report = evaluate(url, args.eval, args.token)
    finally:
        if proc is not None:
            stop(proc)
    print(report.format())
    if args.errors:
        print("\nerrors:")
        for e in report.errors:
            print(
                f"  [{e['gold']} -> {e['pred']} {e['confidence']}] {e['text']}  "
                f"gold={e['gold_entities']} pred={e['pred_entities']}"
            )
    if args.json:
        args.json.write_text(json.dumps(report.__dict__, default=lambda o: o.__dict__, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
