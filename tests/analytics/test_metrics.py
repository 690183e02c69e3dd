"""`/metrics` on every Flask process, and the calls to Rasa and the back-office being measured."""

from __future__ import annotations

from flask import Flask

from backoffice.app import create_app as backoffice_app
from common import metrics, settings
from common.backoffice_client import BackofficeClient, BackofficeUnavailable
from web.rasa_client import RasaClient, RasaUnavailable


def _value(text: str, line_start: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


def test_requests_are_counted_and_timed():
    app = Flask(__name__)
    app.add_url_rule("/hello/<name>", "hello", lambda name: "hi")
    metrics.init_app(app, "probe")
    client = app.test_client()
    client.get("/hello/a")
    client.get("/hello/b")
    body = client.get("/metrics").get_data(as_text=True)
    assert _value(body, 'http_requests_total{endpoint="/hello/<name>",method="GET",service="probe",status="200"}') == 2
    assert 'http_request_duration_seconds_bucket{endpoint="/hello/<name>"' in body


def test_failed_rasa_and_backoffice_calls_are_counted():
    before = metrics.CALL_ERRORS.labels("rasa", "webhook")._value.get()
    try:
        RasaClient(("http://127.0.0.1:9",), "t", timeout=0.5).exchange("s", "你好")
    except RasaUnavailable:
        pass
    assert metrics.CALL_ERRORS.labels("rasa", "webhook")._value.get() == before + 1
    bo_before = metrics.CALL_ERRORS.labels("backoffice", "GET /offices")._value.get()
    try:
        BackofficeClient("http://127.0.0.1:9", "t", retries=0).get("/offices")
    except BackofficeUnavailable:
        pass
    assert metrics.CALL_ERRORS.labels("backoffice", "GET /offices")._value.get() == bo_before + 1


def test_the_backoffice_serves_metrics_without_a_token(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", f"sqlite:///{tmp_path}/bo.db")
    resp = backoffice_app(settings.load()).test_client().get("/metrics")
    assert resp.status_code == 200 and b"http_requests_total" in resp.data


def test_the_action_server_serves_metrics():
    from actions.app import create_app

    resp = create_app(settings.load()).test_client().get("/metrics")
    assert resp.status_code == 200 and b"http_request_duration_seconds" in resp.data
