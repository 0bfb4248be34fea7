"""Bounded load test: 50 concurrent clients against a real `agora serve`, first alone, then while a
curator replaces a large source through the HTTP API.

The clients (asyncio + httpx, one process) mix search (/api/search), GraphQL (/graphql, a dataset
by IRI), SPARQL point lookups (/sparql), page views (/resource?iri=, /search?q=) and a consistency
probe. The source being replaced carries a version marker on every dataset (`agora-test:version`,
alternately "A" and "B"); the probe counts its datasets per marker with one SPARQL query, and a
reader that ever sees two markers, or fewer datasets than the source holds, has seen a
half-replaced source.

Reported per phase (baseline, during writes): requests/s, p50/p99 per kind, errors (any non-2xx
or transport failure), the p99 ratio during-write/baseline for point reads (target <= 3x), and
the half-replaced count (target 0). The server's per-client rate limit is set for the test in
the data directory's agora.toml (all clients come from 127.0.0.1, one bucket), high enough that
it never answers 429 at this load.

    python bench/loadtest.py --datasets 100000 --curated 10000 --clients 50 --seconds 60

`run_phases()` is also used by tests/test_load_consistency.py at a small scale.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def _load_common() -> Any:
    """bench/common.py by path, leaving sys.path alone (bench/graphql.py would shadow the graphql package
    for whoever imports this module, such as tests/test_load_consistency.py)."""
    import importlib.util

    name = "agora_bench_common"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "common.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


_common = _load_common()
CACHE_DIR, _generator, ensure_catalog = _common.CACHE_DIR, _common._generator, _common.ensure_catalog
machine_info, percentiles, print_table = _common.machine_info, _common.percentiles, _common.print_table
free_port, stop_server = _common.free_port, _common.stop_server

BASE = "https://bench.agora.example/"
CURATED_BASE = "https://bench.agora.example/curated/"
MARKER = "https://w3id.org/agora/test#version"
WORDS = ["heat", "water", "planning", "vehicles", "smart", "green", "temperature", "cycling", "trees", "noise",
         "electricity", "charging", "bicycles", "street lights", "buildings", "population", "energy", "climate",
         "photovoltaics", "parking", "traffic", "air quality", "waste", "bus"]
POINT_KINDS = ("sparql point", "graphql point", "resource page")
WEIGHTS = {"sparql point": 25, "graphql point": 15, "search api": 20, "resource page": 20, "search page": 15,
           "consistency": 5}


# -- data -----------------------------------------------------------------------------------------


def curated_versions(datasets: int, out_dir: Path) -> tuple[Path, Path]:
    """Two versions (markers A and B) of a catalog of `datasets` datasets under CURATED_BASE."""
    gen = _generator()
    paths = tuple(out_dir / f"curated-v{gen.GENERATOR_VERSION}-n{datasets}-{v}.nt" for v in "AB")
    if all(p.exists() for p in paths):
        return paths  # type: ignore[return-value]
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f".curated-{datasets}-{os.getpid()}.raw.nt"
    gen.generate(datasets, 0.0, 7, raw, "nt")
    # Every IRI moves under CURATED_BASE: the source shares nothing with the main catalog.
    text = raw.read_text(encoding="utf-8").replace(f"<{BASE}", f"<{CURATED_BASE}")
    rx = re.compile(rf"^<{re.escape(CURATED_BASE)}ds/(\d+)> <http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type> "
                    r"<http://www\.w3\.org/ns/dcat#Dataset> \.$")
    for path, version in zip(paths, "AB", strict=True):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for line in text.splitlines():
                f.write(line + "\n")
                m = rx.match(line)
                if m:
                    f.write(f'<{CURATED_BASE}ds/{m.group(1)}> <{MARKER}> "{version}" .\n')
        os.replace(tmp, path)
    raw.unlink()
    for side in out_dir.glob(raw.name + "*"):
        side.unlink()
    return paths  # type: ignore[return-value]


# -- the workload ---------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    datasets: int
    """Datasets in the main catalog (BASE/ds/0..n-1)."""
    curated: int
    """Datasets in the source being replaced (CURATED_BASE/ds/0..k-1)."""
    curated_graph: str
    token: str
    versions: tuple[Path, Path]


@dataclass
class Sample:
    kind: str
    started: float
    ms: float
    ok: bool
    detail: str = ""


@dataclass
class Phase:
    name: str
    start: float
    end: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    replaces: list[tuple[float, int, str]] = field(default_factory=list)
    """(seconds, status, version) of every replace the curator made in this phase."""
    versions_seen: Counter[str] = field(default_factory=Counter)
    half_replaced: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def by_kind(self) -> dict[str, list[Sample]]:
        out: dict[str, list[Sample]] = defaultdict(list)
        for s in self.samples:
            out[s.kind].append(s)
        return out

    def errors(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    def p99(self, kinds: tuple[str, ...]) -> float:
        return percentiles([s.ms for s in self.samples if s.kind in kinds and s.ok], (99,))[99]


def _iri(t: Target, rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"{CURATED_BASE}ds/{rng.randrange(t.curated)}"
    return f"{BASE}ds/{rng.randrange(t.datasets)}"


async def _request(client: httpx.AsyncClient, t: Target, kind: str, rng: random.Random,
                   phase: Phase) -> tuple[bool, str]:
    if kind == "sparql point":
        q = f"SELECT ?p ?o WHERE {{ <{_iri(t, rng)}> ?p ?o }}"
        r = await client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    elif kind == "graphql point":
        q = f'{{ dataset(iri: "{_iri(t, rng)}") {{ iri title publisher {{ name }} }} }}'
        r = await client.post("/graphql", json={"query": q})
        if r.status_code == 200 and r.json().get("errors"):
            return False, f"graphql errors: {str(r.json()['errors'])[:200]}"
    elif kind == "search api":
        r = await client.get("/api/search", params={"q": rng.choice(WORDS), "size": 10})
    elif kind == "resource page":
        r = await client.get("/resource", params={"iri": _iri(t, rng)}, headers={"Accept": "text/html"})
    elif kind == "search page":
        r = await client.get("/search", params={"q": rng.choice(WORDS)}, headers={"Accept": "text/html"})
    else:  # consistency: datasets of the replaced source per version marker, in one query
        q = (f"SELECT ?m (COUNT(?d) AS ?n) WHERE {{ GRAPH <{t.curated_graph}> {{ ?d <{MARKER}> ?m }} }} "
             "GROUP BY ?m")
        r = await client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
        if r.status_code == 200:
            counts = {b["m"]["value"]: int(b["n"]["value"]) for b in r.json()["results"]["bindings"]}
            if len(counts) != 1 or next(iter(counts.values())) != t.curated:
                phase.half_replaced.append(json.dumps(counts))
            else:
                phase.versions_seen[next(iter(counts))] += 1
    if not 200 <= r.status_code < 300:
        return False, f"{r.status_code} {r.text[:200]}"
    return True, ""


async def _reader(client: httpx.AsyncClient, t: Target, seed: int, phases: list[Phase],
                  stop: asyncio.Event) -> None:
    rng = random.Random(seed)
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    while not stop.is_set():
        kind = rng.choices(kinds, weights)[0]
        phase = phases[-1]
        started = time.perf_counter()
        try:
            ok, detail = await _request(client, t, kind, rng, phase)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        phase.samples.append(Sample(kind, started, (time.perf_counter() - started) * 1000, ok, detail))


async def _curator(t: Target, phase: Phase, until: Callable[[], bool]) -> None:
    """Replace the curated source back to back (alternating versions) until `until()` says stop."""
    bodies = [p.read_bytes() for p in t.versions]
    k = 1  # the source starts at version A: the first replace loads B
    async with httpx.AsyncClient(base_url=t.url, timeout=httpx.Timeout(1800, connect=10)) as c:
        while not until():
            version = "AB"[k % 2]
            started = time.perf_counter()
            r = await c.post("/api/sources/curated", params={"replace": "true", "format": "ntriples"},
                             content=bodies[k % 2], headers={"Authorization": f"Bearer {t.token}",
                                                             "Content-Type": "application/n-triples"})
            phase.replaces.append((time.perf_counter() - started, r.status_code, version))
            k += 1


async def run_phases(t: Target, *, clients: int, warmup: float, seconds: float, min_replaces: int = 1,
                     max_write_seconds: float = 1800, tail: float = 10.0,
                     log: Callable[[str], None] = print) -> list[Phase]:
    """Warm-up (not reported), a baseline of `seconds`, then a write phase of at least `seconds` and at
    least `min_replaces` completed replaces, plus `tail` seconds of reading after the last replace (so
    the readers are seen to move to the new version). Returns the baseline and write phases."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    phases = [Phase("warm-up", time.perf_counter())]
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=t.url, timeout=120, limits=limits) as client:
        readers = [asyncio.create_task(_reader(client, t, 1000 + i, phases, stop)) for i in range(clients)]
        await asyncio.sleep(warmup)
        log(f"warm-up: {len(phases[0].samples)} requests")
        phases.append(Phase("baseline", time.perf_counter()))
        await asyncio.sleep(seconds)
        phases[-1].end = time.perf_counter()
        log(f"baseline: {len(phases[-1].samples)} requests")
        write = Phase("during writes", time.perf_counter())
        phases.append(write)

        def done() -> bool:
            elapsed = time.perf_counter() - write.start
            completed = sum(1 for _s, status, _v in write.replaces if status < 300)
            return elapsed >= max_write_seconds or (elapsed >= seconds and completed >= min_replaces)

        await _curator(t, write, done)
        await asyncio.sleep(tail)
        write.end = time.perf_counter()
        log(f"during writes: {len(write.samples)} requests, replaces: "
            + ", ".join(f"{s:.1f} s ({status})" for s, status, _v in write.replaces))
        stop.set()
        await asyncio.gather(*readers)
    return phases[1:]


def report(phases: list[Phase]) -> dict[str, Any]:
    """Tables on stdout and the figures as a dict."""
    base, write = phases
    rows = []
    figures: dict[str, Any] = {"phases": {}}
    for p in phases:
        kinds = p.by_kind()
        ph: dict[str, Any] = {"seconds": round(p.seconds, 1), "requests": len(p.samples),
                              "throughput": round(len(p.samples) / p.seconds, 1), "errors": len(p.errors()),
                              "kinds": {}}
        for kind in WEIGHTS:
            samples = kinds.get(kind, [])
            ok = [s.ms for s in samples if s.ok]
            pct = percentiles(ok)
            ph["kinds"][kind] = {"n": len(samples), "p50": round(pct[50], 1), "p99": round(pct[99], 1),
                                 "errors": sum(1 for s in samples if not s.ok)}
            rows.append([p.name, kind, len(samples), f"{len(samples) / p.seconds:.1f}", f"{pct[50]:.1f}",
                         f"{pct[99]:.1f}", ph["kinds"][kind]["errors"]])
        rows.append([p.name, "all", len(p.samples), f"{len(p.samples) / p.seconds:.1f}", "", "", len(p.errors())])
        figures["phases"][p.name] = ph
    print_table(rows, ["phase", "kind", "requests", "req/s", "p50 ms", "p99 ms", "errors"])
    ratio_rows = []
    for kind in (*POINT_KINDS, "search api", "search page"):
        b, w = base.p99((kind,)), write.p99((kind,))
        ratio_rows.append([kind, f"{b:.1f}", f"{w:.1f}", f"{w / b:.2f}x"])
    b, w = base.p99(POINT_KINDS), write.p99(POINT_KINDS)
    ratio_rows.append(["point reads (all three)", f"{b:.1f}", f"{w:.1f}", f"{w / b:.2f}x"])
    print_table(ratio_rows, ["kind", "baseline p99 ms", "during writes p99 ms", "ratio"])
    figures["point_read_p99_ratio"] = round(w / b, 2)
    figures["replaces"] = [{"seconds": round(s, 1), "status": st, "version": v} for s, st, v in write.replaces]
    figures["half_replaced"] = sum(len(p.half_replaced) for p in phases)
    figures["versions_seen_during_writes"] = dict(write.versions_seen)
    errors = Counter(s.detail[:120] for p in phases for s in p.errors())
    figures["error_kinds"] = dict(errors.most_common(10))
    print(f"replaces during the write phase: {figures['replaces']}")
    print(f"consistency probes during writes: {dict(write.versions_seen)} (versions seen); "
          f"half-replaced reads: {figures['half_replaced']}")
    if errors:
        print("errors:", json.dumps(figures["error_kinds"], indent=1))
    return figures


# -- setup and main -------------------------------------------------------------------------------


def prepare(work: Path, datasets: int, curated: int, rate_limit: int,
            cache: Path | None = None) -> tuple[Path, tuple[Path, Path], str]:
    """A data directory with the main catalog (source `catalog`), version A of the curated source, a
    write token and the test's configuration. Returns (data dir, version files, token). Catalogs
    are generated into `cache` (default: the benchmarks' cache, bench/.cache)."""
    data = work / "data"
    data.mkdir(parents=True)
    (data / "agora.toml").write_text(f"rate_limit_per_minute = {rate_limit}\nquery_timeout = 30\n"
                                     "max_body_bytes = 209715200\n")
    env = {**os.environ, "AGORA_DATA_DIR": str(data)}
    if cache is None:
        main_file = ensure_catalog(datasets, 0.0, 1)
    else:
        main_file = cache / f"catalog-{datasets}.nt"
        _generator().generate(datasets, 0.0, 1, main_file, "nt")
    versions = curated_versions(curated, cache or CACHE_DIR)
    for path, name in ((main_file, "catalog"), (versions[0], "curated")):
        subprocess.run([sys.executable, "-m", "agora.api.cli", "load", str(path), "--graph", name, "--no-validate"],
                       env=env, check=True, capture_output=True)
    token = subprocess.run([sys.executable, "-m", "agora.api.cli", "token", "create", "--scope", "write", "--name",
                            "curator"], env=env, check=True, capture_output=True, text=True).stdout.strip()
    return data, versions, token


def start_server(data: Path, port: int, *, log_file: Path | None = None,
                 timeout: float = 900) -> subprocess.Popen[bytes]:
    """`agora serve` on `data`, ready; kept with this signature for tests/test_load_consistency.py.
    Stop it with `stop_server` (bench/common.py's)."""
    return _common.start_server(
        [sys.executable, "-m", "agora.api.cli", "serve", "--port", str(port), "--no-demo"],
        f"http://127.0.0.1:{port}", env={**os.environ, "AGORA_DATA_DIR": str(data)}, log_file=log_file,
        timeout=timeout, name="agora serve")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000, help="datasets in the main catalog")
    parser.add_argument("--curated", type=int, default=10_000, help="datasets in the source being replaced")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="length of the baseline and write phases")
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--rate-limit", type=int, default=1_000_000, help="rate_limit_per_minute for the server")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    print(json.dumps(machine_info(), indent=1))
    work = Path(tempfile.mkdtemp(prefix="agora-bench-load-"))
    try:
        started = time.perf_counter()
        data, versions, token = prepare(work, args.datasets, args.curated, args.rate_limit)
        print(f"prepared {args.datasets:,} + {args.curated:,} datasets in {time.perf_counter() - started:.0f} s")
        port = free_port()
        started = time.perf_counter()
        server = start_server(data, port, log_file=work / "server.log")
        print(f"server ready in {time.perf_counter() - started:.0f} s (index built for every source)")
        try:
            curated_graph = json.loads(subprocess.run(
                [sys.executable, "-m", "agora.api.cli", "sources", "--json"],
                env={**os.environ, "AGORA_DATA_DIR": str(data), "COLUMNS": "400"}, check=True,
                capture_output=True, text=True).stdout)
            graph = next(s["graph"] for s in curated_graph if s["name"] == "curated")
            target = Target(f"http://127.0.0.1:{port}", args.datasets, args.curated, graph, token, versions)
            phases = asyncio.run(run_phases(target, clients=args.clients, warmup=args.warmup, seconds=args.seconds))
        finally:
            stop_server(server)
        figures = report(phases)
        figures.update(datasets=args.datasets, curated=args.curated, clients=args.clients,
                       rate_limit_per_minute=args.rate_limit)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
        errors = figures["phases"]["baseline"]["errors"] + figures["phases"]["during writes"]["errors"]
        verdict = (errors == 0 and figures["half_replaced"] == 0 and figures["point_read_p99_ratio"] <= 3)
        print(f"targets (zero errors, no half-replaced read, point-read p99 ratio <= 3x): "
              f"{'met' if verdict else 'NOT met'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
