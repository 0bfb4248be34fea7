"""Consistent backups of a data directory, taken while the server runs, and restoring them.

The Oxigraph part is a checkpoint (`Store.backup`, consistent at one instant); the operational
SQLite database is copied with SQLite's online backup API; shapes registered by curators and the
configuration file are copied as files. A restore replaces the data directory's contents only
when nothing holds the store, and keeps what it replaced next to it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from .config import CONFIG_FILE, Settings
from .errors import BadInput, StoreUnavailable

MANIFEST = "agora-backup.json"


def backup(store: Any, target: Path) -> dict[str, Any]:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BadInput(f"{target} exists and is not empty; choose a new directory for the backup")
    target.mkdir(parents=True, exist_ok=True)
    settings: Settings = store.settings
    with store.write_lock:
        store.ox.backup(str(target / "store"))
        sources = [s.to_dict() for s in store.sources()]
    if settings.ops_db_path.exists():
        src = sqlite3.connect(settings.ops_db_path)
        dst = sqlite3.connect(target / "ops.sqlite")
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    for name in ("profiles",):
        if (settings.data_dir / name).is_dir():
            shutil.copytree(settings.data_dir / name, target / name)
    if (settings.data_dir / CONFIG_FILE).is_file():
        shutil.copyfile(settings.data_dir / CONFIG_FILE, target / CONFIG_FILE)
    manifest = {"created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sources": sources}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(source: Path, settings: Settings) -> dict[str, Any]:
    source = Path(source)
    if not (source / MANIFEST).is_file() or not (source / "store").is_dir():
        raise BadInput(f"{source} is not an Agora backup (no {MANIFEST})")
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    if settings.store_path.exists():
        import pyoxigraph as ox

        try:  # refuse while another process holds the store
            probe = ox.Store(str(settings.store_path))
            del probe
        except OSError as exc:
            raise StoreUnavailable(f"the store at {settings.store_path} is in use (stop `agora serve` first): "
                                   f"{exc}") from exc
    aside = data / f"replaced-{time.strftime('%Y%m%dT%H%M%S')}"
    aside.mkdir()
    for name in ("store", "ops.sqlite", "profiles", CONFIG_FILE, "search"):
        if (data / name).exists():
            shutil.move(str(data / name), aside / name)
    shutil.copytree(source / "store", settings.store_path)
    for name in ("ops.sqlite", CONFIG_FILE):
        if (source / name).is_file():
            shutil.copyfile(source / name, data / name)
    if (source / "profiles").is_dir():
        shutil.copytree(source / "profiles", data / "profiles")
    manifest = json.loads((source / MANIFEST).read_text())
    manifest["replaced_kept_in"] = str(aside)
    return manifest
