"""deploy/prometheus/alerts.yml: well-formed rules that only use metrics the code exports (no promtool needed)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
EXPORTED = {
    "up",
    "http_requests_total",
    "http_request_duration_seconds",
    "dependency_call_duration_seconds",
    "dependency_call_errors_total",
    "outbound_pushes_total",
    "celery_queue_length",
    "handoff_queue_length",
    "handoff_queue_oldest_seconds",
    "oncall_uncovered_minutes",
    "celery_tasks_total",
    "celery_task_duration_seconds",
    "rasa_turns_total",
    "rasa_turn_duration_seconds",
    "rasa_fallbacks_total",
    "rasa_turns_uncaptured_total",
    "transcript_unrecorded_turns_total",
}
FUNCTIONS = {"sum", "rate", "increase", "max", "histogram_quantile", "clamp_min", "by", "le", "or", "vector"}


def _rules():
    return [rule for group in RULES["groups"] for rule in group["rules"]]


def test_every_rule_is_complete_and_named_once():
    assert RULES["groups"] and all(set(g) == {"name", "rules"} for g in RULES["groups"])
    names = [r["alert"] for r in _rules()]
    assert len(names) == len(set(names))
    for rule in _rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in ("page", "ticket")
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["expr"].count("(") == rule["expr"].count(")") and rule["expr"].count("{") == rule["expr"].count("}")


def test_alerts_only_use_exported_metrics():
    for rule in _rules():
        expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", "", rule["expr"])
        words = set(re.findall(r"(?<![0-9.])[a-z_][a-z0-9_]*", expr)) - FUNCTIONS
        metrics = {re.sub(r"_(bucket|count|sum)$", "", w) for w in words}
        assert metrics <= EXPORTED, (rule["alert"], metrics - EXPORTED)


def test_every_alert_is_documented():
    doc = (ROOT / "docs" / "alerts.md").read_text()
    for rule in _rules():
        assert rule["alert"] in doc


def test_beat_silence_watches_a_task_beat_runs_several_times_in_its_window():
    from web.worker import celery_app

    expr = next(r["expr"] for r in _rules() if r["alert"] == "BeatSilent")
    task = re.search(r'task="([^"]+)"', expr).group(1)
    window = int(re.search(r"\[(\d+)m\]", expr).group(1)) * 60
    every = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    assert task in every and float(every[task]) * 3 <= window
