"""Backend benchmark: one workload on the embedded Oxigraph store and on a remote Virtuoso 7, in one run.

Workload per backend (same generated catalog, same process):
- load: `load_files` of the catalog as one source, without validation (validation is timed apart);
- index: building the search index from the store (what `agora reindex` does);
- search: keyword queries through `SearchService.search` (the index is local to the API tier on
  both backends, so this mostly shows that it does not depend on the store);
- GraphQL: the first page of 100 datasets with nested publisher, themes and distributions,
  through the real app (TestClient), warm;
- validate: validation of the stored catalog against the Agora profile.

Prints both columns and the ratio Virtuoso / embedded. Virtuoso runs on 127.0.0.1 with a throw-away
database (tests/virtuoso.py), on the same machine, so the remote figures include HTTP on loopback.

    python bench/backends.py --datasets 100000
    python bench/backends.py --datasets 10000 --runs 30
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# bench/graphql.py must not shadow the graphql package: the script's directory goes last, not first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
sys.path.insert(0, str(HERE.parent))
from common import ensure_catalog, machine_info, percentiles, print_table  # noqa: E402

GRAPHQL = """{ datasets(first: 100) { edges { node { iri title publisher { iri name }
  themes { nodes { iri label } } distributions { nodes { iri format { iri } license { iri } } } } } } }"""
WORDS = ["traffic", "energy", "flood", "heat", "parking", "air quality", "tourism", "waste", "solar", "noise"]


def run_backend(name: str, settings: Any, catalog: Path, runs: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from agora.api.app import create_app
    from agora.kg.loader import load_files
    from agora.kg.search.results import SearchRequest
    from agora.kg.search.service import SearchService
    from agora.kg.store import AgoraStore
    from agora.kg.validation import validate_stored

    out: dict[str, Any] = {"backend": name}
    store = AgoraStore(settings)
    t = time.perf_counter()
    result = load_files(store, [catalog], name="bench", validate=False)
    out["load_s"] = time.perf_counter() - t
    out["triples"] = result.triples
    t = time.perf_counter()
    search = SearchService.attach(store)  # an empty index: built from the store, as `agora reindex` does
    out["index_s"] = time.perf_counter() - t
    rng = random.Random(7)
    samples = []
    for _ in range(runs):
        req = SearchRequest(q=rng.choice(WORDS), expand=False, facets=[])
        t = time.perf_counter()
        search.search(req)
        samples.append((time.perf_counter() - t) * 1000)
    out["search_ms"] = percentiles(samples)
    search.detach()
    app = create_app(settings, store=store, load_demo=False)
    with TestClient(app) as http:
        r = http.post("/graphql", json={"query": GRAPHQL})
        assert r.status_code == 200 and not r.json().get("errors"), r.text[:500]
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            http.post("/graphql", json={"query": GRAPHQL})
            samples.append((time.perf_counter() - t) * 1000)
    out["graphql_ms"] = percentiles(samples)
    t = time.perf_counter()
    report = validate_stored(store, "bench")
    out["validate_s"] = time.perf_counter() - t
    out["conforms"] = bool(getattr(report, "conforms", False))
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from agora.kg.config import load_settings
    from tests.virtuoso import VirtuosoServer

    catalog = ensure_catalog(args.datasets, 0.0, 1)
    work = Path(tempfile.mkdtemp(prefix="agora-bench-backends-"))
    results = []
    try:
        results.append(run_backend("embedded", load_settings(work / "embedded", demo=False), catalog, args.runs))
        with VirtuosoServer() as virtuoso:
            settings = load_settings(work / "remote", demo=False,
                                     store=virtuoso.agora_store_url)
            results.append(run_backend("virtuoso", settings, catalog, args.runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emb, rem = results

    def ratio(key: str, sub: Any = None) -> str:
        a, b = (emb[key], rem[key]) if sub is None else (emb[key][sub], rem[key][sub])
        return f"{b / a:.2f}x" if a else "-"

    rows = [
        ["load (s)", emb["load_s"], rem["load_s"], ratio("load_s")],
        ["search index build (s)", emb["index_s"], rem["index_s"], ratio("index_s")],
        ["keyword search p50 (ms)", emb["search_ms"][50], rem["search_ms"][50], ratio("search_ms", 50)],
        ["keyword search p99 (ms)", emb["search_ms"][99], rem["search_ms"][99], ratio("search_ms", 99)],
        ["GraphQL page p50 (ms)", emb["graphql_ms"][50], rem["graphql_ms"][50], ratio("graphql_ms", 50)],
        ["GraphQL page p99 (ms)", emb["graphql_ms"][99], rem["graphql_ms"][99], ratio("graphql_ms", 99)],
        ["validate stored catalog (s)", emb["validate_s"], rem["validate_s"], ratio("validate_s")],
    ]
    print(f"{args.datasets:,} datasets, {emb['triples']:,} triples; conforms: embedded {emb['conforms']}, "
          f"virtuoso {rem['conforms']}")
    print_table(rows, ["step", "embedded", "virtuoso", "virtuoso / embedded"])
    print(json.dumps(machine_info()))
    if args.json:
        args.json.write_text(json.dumps({"datasets": args.datasets, "results": results,
                                         "machine": machine_info()}, default=str, indent=2))


if __name__ == "__main__":
    main()
