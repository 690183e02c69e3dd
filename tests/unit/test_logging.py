import io
import json
import logging

from common import logging_setup


def _capture(fn) -> dict:
    stream = io.StringIO()
    logging_setup.configure("test", "INFO", stream=stream)
    fn(logging.getLogger("civic.test"))
    return json.loads(stream.getvalue().strip().splitlines()[-1])


def test_log_lines_are_json_with_service_and_level():
    line = _capture(lambda log: log.info("hello %s", "world"))
    assert line["message"] == "hello world"
    assert line["service"] == "test" and line["level"] == "INFO" and line["logger"] == "civic.test"


def test_id_numbers_and_phones_are_masked_in_message_args_and_extras():
    line = _capture(
        lambda log: log.warning(
            "resident %s called from %s", "11010519491231002X", "13812345678", extra={"detail": "回电 13912345678"}
        )
    )
    raw = json.dumps(line, ensure_ascii=False)
    assert "11010519491231002X" not in raw and "13812345678" not in raw and "13912345678" not in raw
    assert "110***********002X" in line["message"] and "139****5678" in line["detail"]


def _lines(fn) -> list[str]:
    """Every JSON line ``fn`` logs, as written (Chinese kept readable for the assertions)."""
    stream = io.StringIO()
    logging_setup.configure("test", "INFO", stream=stream)
    fn(logging.getLogger("civic.test"))
    return [json.dumps(json.loads(line), ensure_ascii=False) for line in stream.getvalue().splitlines()]


PHONE_FORMS = ["13812345678", "138 1234 5678", "+86 138-1234-5678", "１３８１２３４５６７８", "幺三八一二三四五六七八"]


def test_every_form_of_a_phone_is_masked_in_message_extras_and_containers():
    def log_all(log):
        for form in PHONE_FORMS:
            log.warning("回电 %s", form, extra={"said": form, "entities": [{"value": form}], "number": 13812345678})

    for line in _lines(log_all):
        assert "5678" in line and "1234" not in line and "一二三四" not in line, line


def test_a_traceback_and_a_database_error_never_show_a_phone_or_an_id_number(tmp_path):
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
    from sqlalchemy.exc import IntegrityError

    from common.db import make_engine

    residents = Table(
        "residents", MetaData(), Column("id", Integer, primary_key=True), Column("phone", String, unique=True)
    )

    def fail(log, engine) -> None:
        residents.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(residents).values(phone="13812345678"))
        try:
            with engine.begin() as conn:
                conn.execute(insert(residents).values(phone="13812345678"))
        except IntegrityError:
            log.exception("could not save the resident")

    def raise_in_traceback(log) -> None:
        try:
            raise ValueError("回电号码 幺三八 一二三四 五六七八，身份证 11010519491231002X")
        except ValueError:
            log.exception("bad answer", stack_info=True)

    # the platform's engines hide parameters; an engine that does not is masked all the same
    hidden = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    shown = create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    lines = _lines(lambda log: (fail(log, hidden), fail(log, shown), raise_in_traceback(log)))
    assert len(lines) == 3 and all("exc_info" in json.loads(line) for line in lines)
    assert "IntegrityError" in lines[0] and "hidden due to hide_parameters" in lines[0]
    assert "138****5678" in lines[1]  # SQLAlchemy printed the parameter; the filter masked it
    assert "幺三八 **** 五六七八" in lines[2] and "110***********002X" in lines[2] and "stack_info" in lines[2]
    for line in lines:
        assert "13812345678" not in line and "一二三四" not in line and "11010519491231002X" not in line


def test_a_failing_call_to_an_unreachable_rasa_logs_no_token(redis_client):
    from sqlalchemy import text
    from sqlalchemy.orm import sessionmaker

    from common.db import make_engine
    from tools.stack import free_port
    from web.handoff import events
    from web.handoff.rasa_api import RasaApi, RasaApiError

    token = "s3cret-rasa-token-4711"
    rasa = RasaApi((f"http://127.0.0.1:{free_port()}",), token, timeout=2)
    try:
        rasa.tracker("wx-resident")
    except RasaApiError as exc:
        assert token not in str(exc) and "token=***" in str(exc)
    else:
        raise AssertionError("nothing answers on that port")

    sessions = sessionmaker(make_engine("sqlite://"))
    events.Publisher(redis_client, rasa).install(sessions)

    def queue_and_fail(log) -> None:
        with sessions() as sess:
            sess.execute(text("SELECT 1"))
            events.record(sess, "queue", 1, pause_sender="wx-resident")
            sess.commit()  # the pause fails after the commit: logged, not raised
        try:
            rasa.pause("wx-resident")
        except RasaApiError:
            log.exception("pause failed")

    lines = _lines(queue_and_fail)
    assert any("could not pause" in line for line in lines) and any("pause failed" in line for line in lines)
    assert not [line for line in lines if token in line]


def test_the_suites_log_check_finds_every_form_in_a_process_log_and_lists_it_masked(tmp_path):
    from tests.log_check import LogCheck, leaks

    assert leaks('{"message": "\\u5e7a\\u4e09\\u516b\\u4e00\\u4e8c\\u4e09\\u56db\\u4e94\\u516d\\u4e03\\u516b"}')
    assert leaks("GET /conversations/x/tracker?token=s3cret HTTP/1.1")
    assert not leaks('{"message": "回电 138****5678", "url": "/tracker?token=***"}')
    (tmp_path / "web.log").write_text('{"message": "ok"}\nGET /api?phone=138 1234 5678 200\n', encoding="utf-8")
    check = LogCheck()
    check.scan(tmp_path)
    assert check.offending == ["web.log: GET /api?phone=138 **** 5678 200"]


def test_gunicorn_access_and_error_lines_are_masked(tmp_path):
    """A real gunicorn with the project's gunicorn.conf.py: the access log holds each query string
    (a back-office lookup can carry an ID number), and gunicorn writes it through its own handlers."""
    import subprocess
    import sys
    from pathlib import Path

    import requests

    from tools import stack

    root = Path(__file__).resolve().parents[2]
    port = stack.free_port()
    access = tmp_path / "access.log"
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            str(root / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(access),
            "wsgiref.simple_server:demo_app",
        ],
        cwd=root,  # as the Procfile runs it: the project's packages importable
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stack.wait_http(f"http://127.0.0.1:{port}/", 30, proc)
        requests.get(f"http://127.0.0.1:{port}/lookup?id_number=11010519491231002X&phone=138%201234%205678", timeout=5)
    finally:
        proc.terminate()
        errors = proc.communicate(timeout=10)[1]
    lines = access.read_text()
    assert "/lookup?" in lines
    assert "11010519491231002X" not in lines and "1234%205678" not in lines and "1234 5678" not in lines
    assert "110***********002X" in lines
    assert "11010519491231002X" not in errors
