"""`agora serve`'s app: health, readiness, landing page, demo loading rules, configuration precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.kg.config import load_settings
from agora.kg.errors import BadInput
from agora.kg.loader import load_files
from agora.kg.store import AgoraStore

FIX = Path(__file__).parent / "fixtures" / "load"


def test_an_empty_store_gets_the_demo_and_the_landing_page_counts_it(tmp_path):
    app = create_app(load_settings(tmp_path / "data"))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert 'data-count="datasets">105<' in page.text
        assert 'data-count="stakeholders">37<' in page.text
        assert 'data-count="use_cases">10<' in page.text
        assert 'data-count="policies">18<' in page.text
        names = {s["name"] for s in client.get("/api/sources").json()}
        assert {"copenhagen", "malmo", "amsterdam", "florence", "antwerp", "usecases"} <= names


def test_no_demo_and_never_into_a_non_empty_store(tmp_path):
    data = tmp_path / "data"
    app = create_app(load_settings(data), load_demo=False)
    with TestClient(app) as client:
        assert 'data-count="datasets">0<' in client.get("/").text
    store = AgoraStore(load_settings(data))
    load_files(store, [FIX / "valid-catalog.ttl"], name="gent")
    app = create_app(load_settings(data), store=store)  # demo unset: the store is not empty
    with TestClient(app) as client:
        names = {s["name"] for s in client.get("/api/sources").json()}
        assert "gent" in names and "copenhagen" not in names
    app = create_app(load_settings(data, demo=True), store=store)  # --demo forces it
    with TestClient(app) as client:
        assert "copenhagen" in {s["name"] for s in client.get("/api/sources").json()}
    store.close()


def test_configuration_precedence_file_then_environment_then_flags(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "agora.toml").write_text('query_timeout = 7\nbase_url = "https://file.example"\nport = 9000\n')
    s = load_settings(data)
    assert (s.query_timeout, s.base_url, s.port) == (7.0, "https://file.example", 9000)
    monkeypatch.setenv("AGORA_QUERY_TIMEOUT", "3.5")
    monkeypatch.setenv("AGORA_SERVICE_ALLOWLIST", "https://a.example/sparql, https://b.example/sparql")
    s = load_settings(data)
    assert s.query_timeout == 3.5 and s.base_url == "https://file.example"
    assert s.service_allowlist == ["https://a.example/sparql", "https://b.example/sparql"]
    s = load_settings(data, query_timeout=1.0)
    assert s.query_timeout == 1.0
    monkeypatch.setenv("AGORA_DATA_DIR", str(data))
    assert load_settings().port == 9000
    (data / "agora.toml").write_text("no_such_setting = 1\n")
    with pytest.raises(BadInput, match="unknown setting"):
        load_settings(data)


def test_body_size_and_rate_limits(tmp_path):
    settings = load_settings(tmp_path / "data", max_body_bytes=1000, rate_limit_per_minute=5)
    app = create_app(settings, load_demo=False)
    with TestClient(app) as client:
        r = client.put("/store?graph=x", content=b"x" * 2000, headers={"Content-Type": "text/turtle"})
        assert r.status_code == 413 and "limit" in r.json()["message"]
        codes = [client.get("/api/sources").status_code for _ in range(8)]
        assert codes[:4] == [200] * 4 and codes[-1] == 429
        r = client.get("/api/sources")
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200  # health checks are never limited
