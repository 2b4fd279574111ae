"""API keys: 401 before anything else, hashes only on disk, keys created and revoked while serving."""

from __future__ import annotations

import json
import stat

import pytest

from commercelens.api import ApiConfig, create_app
from commercelens.api.security import HEADER, KeyStore
from commercelens.cli.app import run

from .conftest import TestClient

pytestmark = pytest.mark.integration


def _protected(client, headers) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json", headers=headers).json()["paths"]
    return [(m.upper(), p) for p, methods in paths.items() for m in methods if p != "/health"]


def test_every_route_but_health_needs_a_key(client, headers):
    routes = _protected(client, headers) + [("GET", p) for p in ("/docs", "/redoc", "/openapi.json")]
    assert len(routes) >= 12
    for method, path in routes:
        url = path.replace("{experiment_id}", "discount_5pct").replace("{name}", "x")
        for headers in ({}, {HEADER: "clk_00000000_" + "a" * 43}, {HEADER: "not-a-key"}):
            response = client.request(method, url, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert "API key" in response.json()["detail"]


def test_no_key_is_a_401_even_for_a_malformed_body(client):
    response = client.post(
        "/predict/booking", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 401


def test_health_is_open_and_the_docs_take_a_key(client, headers):
    assert client.get("/health").status_code == 200
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=headers).status_code == 200


def test_public_docs_open_the_docs_and_nothing_else(api_settings):
    with TestClient(create_app(api_settings, ApiConfig(public_docs=True))) as public:
        for path in ("/health", "/docs", "/redoc", "/openapi.json"):
            assert public.get(path).status_code == 200, path
        assert public.get("/model/metadata").status_code == 401


def test_the_key_file_holds_salted_hashes_only(api_settings, api_key):
    path = KeyStore.for_workdir(api_settings.home).path
    text = path.read_text()
    secret = api_key.rsplit("_", 1)[1]
    assert api_key not in text and secret not in text
    records = json.loads(text)["keys"]
    assert {"name", "key_id", "salt", "digest", "created_at"} <= set(records[0])
    assert len({r["salt"] for r in records}) == len(records)  # one salt per key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_cli_prints_the_key_once_as_the_last_line_and_a_running_server_accepts_it(
    client, api_settings, capsys
):
    home = ["--workdir", str(api_settings.home)]
    assert run([*home, "api-key", "create", "dashboard"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("clk_") and len(key) == 4 + 8 + 1 + 43
    assert client.get("/metrics", headers={HEADER: key}).status_code == 200  # no restart needed
    assert run([*home, "api-key", "create", "dashboard"]) == 1  # names are unique
    assert "exists" in capsys.readouterr().err
    assert run([*home, "api-key", "list"]) == 0
    listed = capsys.readouterr().out
    assert "dashboard" in listed and key not in listed
    assert run([*home, "api-key", "revoke", "dashboard"]) == 0
    assert client.get("/metrics", headers={HEADER: key}).status_code == 401


def test_key_names_are_checked(tmp_path, capsys):
    assert run(["--workdir", str(tmp_path), "api-key", "create", "bad name!"]) == 1
    assert "invalid key name" in capsys.readouterr().err


def test_an_unknown_query_parameter_is_422_on_a_get_route_too(client, headers):
    response = client.get("/model/metadata?verbose=1", headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "verbose"]
