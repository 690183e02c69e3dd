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
