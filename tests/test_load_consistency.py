"""The load test's mixed workload at a small scale: readers never fail and never see a half-replaced source.

bench/loadtest.py runs 50 clients against 100k datasets; here the same code drives ~10 clients for a
few seconds against a few hundred datasets while a curator replaces a source over HTTP, and the
test asserts zero errors and that every consistency probe saw the replaced source wholly at one
version. No timing is asserted (CI machines are shared).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from .fault_support import REPO, free_port


def _loadtest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("agora_bench_loadtest", REPO / "bench" / "loadtest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is created
    spec.loader.exec_module(module)
    return module


def test_mixed_readers_during_replaces_see_no_error_and_no_half_replaced_source(tmp_path: Path) -> None:
    lt = _loadtest()
    cache = tmp_path / "cache"
    cache.mkdir()
    data, versions, token = lt.prepare(tmp_path / "work", 300, 200, 1_000_000, cache=cache)
    port = free_port()
    server = lt.start_server(data, port, log_file=tmp_path / "server.log", timeout=180)
    try:
        target = lt.Target(f"http://127.0.0.1:{port}", 300, 200, "http://127.0.0.1:8000/graph/curated", token,
                           versions)
        phases = asyncio.run(lt.run_phases(target, clients=10, warmup=1, seconds=3, min_replaces=3,
                                           max_write_seconds=240, log=lambda _m: None))
    finally:
        lt.stop_server(server)
    baseline, writes = phases
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
    for phase in phases:
        kinds = phase.by_kind()
        assert set(kinds) == set(lt.WEIGHTS), (phase.name, set(kinds))  # every kind of request ran
        assert not phase.errors(), (phase.name, [(s.kind, s.detail) for s in phase.errors()[:10]])
        assert not phase.half_replaced, (phase.name, phase.half_replaced[:10])
    assert [status for _s, status, _v in writes.replaces] == [200] * len(writes.replaces)
    assert len(writes.replaces) >= 3
    # The probes saw the source move between versions, each time whole.
    assert set(baseline.versions_seen) == {"A"}
    assert sum(writes.versions_seen.values()) > 0
