"""A freshly seeded back-office per test module (these tests write cases)."""

from __future__ import annotations

import pytest

from tests.conftest import backoffice_test_client, seeded_backoffice

TOKEN = "child-protection-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def backoffice_url(tmp_path_factory) -> str:
    return seeded_backoffice(tmp_path_factory, "child_protection")


@pytest.fixture
def client(backoffice_url, monkeypatch):
    return backoffice_test_client(backoffice_url, TOKEN, monkeypatch)
