"""Backups taken while the store is in use restore to the same state; rollback undoes a replace."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from agora.kg.backup import backup, restore
from agora.kg.config import load_settings
from agora.kg.history import rollback
from agora.kg.loader import load_files
from agora.kg.opsdb import OpsDB
from agora.kg.query import run_query
from agora.kg.store import AgoraStore

from .conftest import run_cli

FIX = Path(__file__).parent / "fixtures" / "load"


def test_backup_then_restore_gives_the_same_sources_and_tokens(tmp_path):
    settings = load_settings(tmp_path / "data")
    store = AgoraStore(settings)
    load_files(store, [FIX / "valid-catalog.ttl"], name="gent")
    _tok, secret = OpsDB(settings.ops_db_path).create_token("write")
    before = store.export("gent", ox.RdfFormat.N_TRIPLES)
    backup(store, tmp_path / "bk")
    load_files(store, [FIX / "valid-catalog.ttl"], name="later", validate=False)  # after the backup
    store.close()
    manifest = restore(tmp_path / "bk", settings)
    assert "gent" in {s["name"] for s in manifest["sources"]}
    store = AgoraStore(settings)
    assert store.get("later") is None
    assert store.export("gent", ox.RdfFormat.N_TRIPLES) == before
    assert OpsDB(settings.ops_db_path).authenticate(secret) is not None
    store.close()


def test_restore_is_refused_while_the_store_is_held(tmp_path):
    settings = load_settings(tmp_path / "data")
    store = AgoraStore(settings)
    backup(store, tmp_path / "bk")
    r = run_cli("restore", str(tmp_path / "bk"), data_dir=settings.data_dir)
    assert r.returncode == 3 and "in use" in r.stderr
    store.close()


def test_rollback_undoes_a_replace_and_can_be_undone(store):
    load_files(store, [FIX / "valid-catalog.ttl"], name="gent")
    v1 = store.export("gent", ox.RdfFormat.N_TRIPLES)
    (Path(store.settings.data_dir) / "v2.ttl").write_text(
        FIX.joinpath("valid-catalog.ttl").read_text().replace("Open data Gent", "Open data Stad Gent"))
    load_files(store, [Path(store.settings.data_dir) / "v2.ttl"], name="gent", replace=True)
    v2 = store.export("gent", ox.RdfFormat.N_TRIPLES)
    info = rollback(store, "gent")
    assert info.current.number == 1 and store.export("gent", ox.RdfFormat.N_TRIPLES) == v1
    rows = list(run_query(store, 'ASK { ?c <http://purl.org/dc/terms/title> "Open data Stad Gent"@nl }').rows or [])
    assert not rows
    rollback(store, "gent")
    assert store.export("gent", ox.RdfFormat.N_TRIPLES) == v2
