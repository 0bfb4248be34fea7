"""SIGKILL during a harvest: after restart the source, the search index and the metadata agree on the
previous version, and the interrupted run is recorded as failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from agora.kg.config import load_settings
from agora.kg.harvest.sources import HarvestRegistry
from agora.kg.opsdb import OpsDB
from agora.kg.search.results import SearchRequest
from agora.kg.search.service import SearchService
from agora.kg.store import AgoraStore

from .harvest_servers import dcat_datasets, dcat_pages, dcat_server, hostile_server
from .servers import cli

LOOPBACK = {"AGORA_ALLOW_HOSTS": "127.0.0.1"}


def _state(store: AgoraStore, name: str) -> tuple[int, int, set[str]]:
    info = store.require(name)
    graphs = {g.value for g in store.ox.named_graphs() if isinstance(g, ox.NamedNode)}
    return info.current.number, info.current.triples, graphs


def test_killing_a_harvest_midway_leaves_the_previous_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with dcat_server(lambda base: dcat_pages(dcat_datasets(8), per_page=4, base=base)) as good:
        assert cli("source", "add", "city", f"{good}/catalog", "--kind", "dcat", data_dir=data).returncode == 0
        done = cli("harvest", "city", data_dir=data, env=LOOPBACK)
        assert done.returncode == 0, done.stderr
    store = AgoraStore(load_settings(data))
    search = SearchService.attach(store)
    before = _state(store, "city")
    hits_before = search.search(SearchRequest(q="Dataset")).total
    search.detach()
    store.close()

    with hostile_server("endless") as url:
        added = cli("source", "add", "city", f"{url}/catalog", "--kind", "dcat", "--replace", "--max-pages",
                    "100000", data_dir=data)
        assert added.returncode == 0, added.stderr
        env = {**os.environ, "AGORA_DATA_DIR": str(data), **LOOPBACK}
        proc = subprocess.Popen([sys.executable, "-m", "agora.api.cli", "harvest", "city"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(url.requests) < 40 and time.monotonic() < deadline:  # well into the harvest
            time.sleep(0.05)
        assert proc.poll() is None, "the harvest ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    store = AgoraStore(load_settings(data))  # start-up collects the draft graphs of the killed run
    try:
        assert _state(store, "city") == before
        search = SearchService.attach(store)
        assert not any(search.status()["disagreement"].values())
        assert search.search(SearchRequest(q="Dataset")).total == hits_before
        search.detach()
        registry = HarvestRegistry(OpsDB(store.settings.ops_db_path))
        assert registry.last_run("city").status == "running"  # as the killed process left it
        assert registry.abandon_running() == 1  # what the next server or CLI start does
        assert registry.last_run("city").status == "failed"
    finally:
        store.close()
