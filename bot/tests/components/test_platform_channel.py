"""channels/platform.py takes its token from credentials.yml and refuses to start without a real one."""

from pathlib import Path

import pytest
from channels.platform import DEV_TOKEN, PlatformInput
from rasa.shared.utils.io import read_config_file

CREDENTIALS = Path(__file__).resolve().parents[2] / "credentials.yml"


def test_the_channel_takes_rasa_token_from_credentials_yml(monkeypatch) -> None:
    monkeypatch.setenv("RASA_TOKEN", "a-long-random-token")
    credentials = read_config_file(str(CREDENTIALS))
    assert list(credentials) == ["channels.platform.PlatformInput"]  # Rasa's own rest channel is not served
    assert PlatformInput.from_credentials(credentials["channels.platform.PlatformInput"]).token == "a-long-random-token"


@pytest.mark.parametrize("credentials", [None, {}, {"token": ""}])
def test_the_channel_refuses_to_start_without_a_token(credentials) -> None:
    with pytest.raises(ValueError, match="token"):
        PlatformInput.from_credentials(credentials)


def test_the_development_token_only_with_the_development_flag(monkeypatch) -> None:
    monkeypatch.delenv("CIVIC_DEV", raising=False)
    with pytest.raises(ValueError, match="RASA_TOKEN"):
        PlatformInput.from_credentials({"token": DEV_TOKEN})
    monkeypatch.setenv("CIVIC_DEV", "1")
    assert PlatformInput.from_credentials({"token": DEV_TOKEN}).token == DEV_TOKEN


def test_rasa_sends_the_action_servers_token_in_a_header(monkeypatch) -> None:
    """bot/endpoints.yml as Rasa reads it: the token goes in a header, not the logged query string."""
    from rasa.utils.endpoints import read_endpoint_config

    for var in ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD"):
        monkeypatch.setenv(var, "0")
    monkeypatch.setenv("ACTIONS_URL", "http://actions:5055")
    monkeypatch.setenv("ACTIONS_TOKEN", "a-long-random-actions-token")
    endpoint = read_endpoint_config(str(CREDENTIALS.with_name("endpoints.yml")), "action_endpoint")
    assert endpoint.url == "http://actions:5055/webhook"
    assert endpoint.headers == {"Authorization": "Bearer a-long-random-actions-token"}
    assert endpoint.combine_parameters() == {}
