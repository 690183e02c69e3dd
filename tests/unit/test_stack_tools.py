import redis

from tools import stack


def test_redis_url_is_split_for_rasas_endpoints_file():
    assert stack.redis_parts("redis://:s3cret@cache.internal:6380/2") == {
        "REDIS_HOST": "cache.internal",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_PASSWORD": "s3cret",
    }
    assert stack.redis_parts("redis://127.0.0.1") == {
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_DB": "0",
        "REDIS_PASSWORD": "",
    }


def test_stack_env_derives_urls_from_ports_and_keeps_what_is_set():
    env = stack.stack_env(
        {"REDIS_URL": "redis://127.0.0.1:6379/3", "RASA_URL": "http://rasa:5005"},
        {"WEB_PORT": 1, "RASA_PORT": 2, "ACTIONS_PORT": 3, "BACKOFFICE_PORT": 4},
    )
    assert env["ACTIONS_URL"] == "http://127.0.0.1:3" and env["BACKOFFICE_URL"] == "http://127.0.0.1:4"
    assert env["RASA_URL"] == "http://rasa:5005" and env["REDIS_DB"] == "3"


def test_embedded_redis_is_a_real_server_that_stops():
    server = stack.EmbeddedRedis(stack.free_port()).start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        server.stop()
    assert server.proc.poll() is not None


def test_a_failed_start_up_prints_the_end_of_every_log(tmp_path, capsys):
    (tmp_path / "rasa2").mkdir()
    (tmp_path / "web.log").write_text("booting\n" + "x" * 50 + "web died here")
    (tmp_path / "rasa2" / "rasa.log").write_text("model not found")
    stack.print_log_tails(tmp_path, chars=20)
    out = capsys.readouterr().out
    assert "==== web.log\n" in out and out.count("x") < 20 and "web died here" in out and "booting" not in out
    assert "==== rasa2/rasa.log\nmodel not found" in out
