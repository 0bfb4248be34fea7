"""Scoped tokens, per-source ownership and the audit log, through the real HTTP app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.kg.config import load_settings

FIX = Path(__file__).parent / "fixtures" / "load"


@pytest.fixture
def app(tmp_path):
    return create_app(load_settings(tmp_path / "data"), load_demo=False)


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_only_the_owner_or_an_admin_can_change_a_source(app):
    ops = app.state.ops
    alice = ops.create_token("write", name="alice")[1]
    bob = ops.create_token("write", name="bob")[1]
    admin = ops.create_token("admin", name="root")[1]
    body = (FIX / "valid-catalog.ttl").read_bytes()
    with TestClient(app) as c:
        r = c.post("/api/sources/gent", files={"file": ("gent.ttl", body)}, headers=_auth(alice))
        assert r.status_code == 200, r.text
        r = c.post("/api/sources/gent?replace=true", files={"file": ("gent.ttl", body)}, headers=_auth(bob))
        assert r.status_code == 403 and "belongs to another curator" in r.json()["message"]
        assert c.delete("/api/sources/gent", headers=_auth(bob)).status_code == 403
        r = c.post("/api/sources/gent?replace=true", files={"file": ("gent.ttl", body)}, headers=_auth(alice))
        assert r.status_code == 200
        assert c.post("/api/sources/gent/rollback", headers=_auth(admin)).status_code == 200
        # The audit log records every write with who, what and the outcome; only admins read it.
        assert c.get("/api/admin/audit", headers=_auth(alice)).status_code == 403
        log = c.get("/api/admin/audit", headers=_auth(admin)).json()
        assert [(e["who"], e["action"], e["source"]) for e in log][:3] == [
            ("root", "rollback", "gent"), ("alice", "replace", "gent"), ("alice", "load", "gent")]
        assert log[-1]["triples"] > 0


def test_expired_revoked_and_rotated_tokens(app):
    ops = app.state.ops
    tok, secret = ops.create_token("write", expires_at="2000-01-01T00:00:00Z")
    with TestClient(app) as c:
        assert c.delete("/api/sources/x", headers=_auth(secret)).status_code == 401
        tok, secret = ops.create_token("write")
        assert c.delete("/api/sources/x", headers=_auth(secret)).status_code == 404  # authenticated, no such source
        _t, new_secret = ops.rotate(tok.id)
        assert c.delete("/api/sources/x", headers=_auth(secret)).status_code == 401
        assert c.delete("/api/sources/x", headers=_auth(new_secret)).status_code == 404
        ops.revoke(tok.id)
        assert c.delete("/api/sources/x", headers=_auth(new_secret)).status_code == 401


def test_tokens_are_stored_hashed(app):
    _t, secret = app.state.ops.create_token("admin")
    raw = Path(app.state.settings.ops_db_path).read_bytes()
    assert secret.encode() not in raw


def test_read_only_server_refuses_writes(tmp_path):
    app = create_app(load_settings(tmp_path / "data", read_only=True), load_demo=False)
    secret = app.state.ops.create_token("admin")[1]
    with TestClient(app) as c:
        r = c.put("/store?graph=x", content=b"<http://a> <http://b> <http://c> .",
                  headers={**_auth(secret), "Content-Type": "application/n-triples"})
        assert r.status_code == 403 and "read-only" in r.json()["message"]
