"""GraphQL against the equivalent hand-written SPARQL: a page of 100 datasets with their publisher,
themes and distributions (format, licence), both over HTTP from a real uvicorn on 127.0.0.1.

The SPARQL query asks for exactly the same data (the first 100 datasets by IRI, all title and
label languages, as the GraphQL resolvers read them). Prints p50/p99 of each and the ratio.
Target: GraphQL <= 1.5x SPARQL at p50.

GraphQL keeps the IRI-sorted list of a class until the next write, so its first request after a
load ("cold") pays for sorting and is reported apart. SPARQL has no such cache: every request
sorts. For scale, the table also shows the same SPARQL without ORDER BY, which is not equivalent
(an arbitrary 100 datasets) but shows what the sort costs.

    python bench/graphql.py --datasets 100000
    python bench/graphql.py --datasets 10000 --runs 30
    python bench/graphql.py --data-dir /tmp/bench-100k/data   # reuse a store loaded earlier
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ensure_catalog,
    free_port,
    machine_info,
    percentiles,
    print_table,
    start_server,
    stop_server,
)

GRAPHQL = """{ datasets(first: 100) { edges { node { iri title publisher { iri name }
  themes { nodes { iri label } } distributions { nodes { iri format { iri } license { iri } } } } } } }"""

SPARQL = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?d ?title ?pub ?pubName ?theme ?themeLabel ?dist ?format ?license WHERE {
  { SELECT ?d WHERE { ?d a dcat:Dataset } ORDER BY ?d LIMIT 100 }
  { ?d dct:title ?title }
  UNION { ?d dct:publisher ?pub OPTIONAL { ?pub foaf:name ?pubName } }
  UNION { ?d dcat:theme ?theme OPTIONAL { ?theme skos:prefLabel ?themeLabel } }
  UNION { ?d dcat:distribution ?dist OPTIONAL { ?dist dct:format ?format } OPTIONAL { ?dist dct:license ?license } }
}"""
"""One UNION branch per nested list, so the lists do not multiply into a cross product."""

UNORDERED = SPARQL.replace("ORDER BY ?d LIMIT 100", "LIMIT 100")

SERVER = """
import sys, uvicorn
from agora.kg.config import load_settings
from agora.api.app import create_app
from agora.api.graphql import make_graphql_router
settings = load_settings(sys.argv[1])
app = create_app(settings, load_demo=False)
if not any(getattr(r, "path", None) == "/graphql" for r in app.routes):
    app.include_router(make_graphql_router())
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""

LOAD = """
import sys
from pathlib import Path
from agora.kg.config import load_settings
from agora.kg.loader import load_files
from agora.kg.store import AgoraStore
store = AgoraStore(load_settings(sys.argv[1]))
if store.get("bench") is None:
    load_files(store, [Path(sys.argv[2])], name="bench", validate=False)
store.close()
"""


def _timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="timed requests per query (after one warm-up)")
    parser.add_argument("--data-dir", type=Path, help="reuse (or keep) this data directory")
    args = parser.parse_args()
    print(json.dumps(machine_info(), indent=1))
    catalog = ensure_catalog(args.datasets, 0.0, 1)
    work = Path(tempfile.mkdtemp(prefix="agora-bench-graphql-"))
    data_dir = args.data_dir or work / "data"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", LOAD, str(data_dir), str(catalog)], check=True)
    print(f"store ready in {time.perf_counter() - t:.1f} s ({data_dir})", flush=True)
    port = free_port()
    env = {**os.environ, "AGORA_QUERY_TIMEOUT": "600", "AGORA_MAX_RESULT_ROWS": "1000000"}
    base = f"http://127.0.0.1:{port}"
    try:  # the server logs to the console (uvicorn warnings, tracebacks)
        server = start_server([sys.executable, "-c", SERVER, str(data_dir), str(port)], base, env=env,
                              inherit_output=True, timeout=900)
    except RuntimeError as exc:
        if args.data_dir is None:
            shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(str(exc)) from exc
    try:
        with httpx.Client(base_url=base, timeout=600) as http:
            def graphql() -> None:
                r = http.post("/graphql", json={"query": GRAPHQL})
                r.raise_for_status()
                body = r.json()
                assert "errors" not in body and len(body["data"]["datasets"]["edges"]) == 100, body

            def sparql(text: str) -> object:
                def run() -> None:
                    r = http.post("/sparql", content=text.encode(),
                                  headers={"content-type": "application/sparql-query",
                                           "accept": "application/sparql-results+json"})
                    r.raise_for_status()
                    assert len({b["d"]["value"] for b in r.json()["results"]["bindings"]}) == 100
                return run

            cold = _timed(graphql)
            timings: dict[str, list[float]] = {"graphql": [], "sparql": [], "sparql-unordered": []}
            _timed(sparql(SPARQL))  # warm-up (caches, JIT-free but page cache)
            _timed(sparql(UNORDERED))
            for i in range(args.runs):
                timings["graphql"].append(_timed(graphql))
                timings["sparql"].append(_timed(sparql(SPARQL)))
                timings["sparql-unordered"].append(_timed(sparql(UNORDERED)))
                print(f"run {i + 1}/{args.runs}: " + ", ".join(f"{k} {v[-1]:.0f} ms" for k, v in timings.items()),
                      flush=True)
    finally:
        stop_server(server)
        if args.data_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    p = {k: percentiles(v) for k, v in timings.items()}
    ratio = p["graphql"][50] / p["sparql"][50]
    print_table([
        [f"{args.datasets:,}", "GraphQL (warm)", p["graphql"][50], p["graphql"][99], f"{ratio:.2f}x"],
        [f"{args.datasets:,}", "GraphQL (cold: first request after a write)", cold, cold, ""],
        [f"{args.datasets:,}", "SPARQL, equivalent (ORDER BY)", p["sparql"][50], p["sparql"][99], "1.00x"],
        [f"{args.datasets:,}", "SPARQL without ORDER BY (not equivalent)", p["sparql-unordered"][50],
         p["sparql-unordered"][99], f"{p['sparql-unordered'][50] / p['sparql'][50]:.2f}x"],
    ], ["datasets", "query", "p50 ms", "p99 ms", "vs SPARQL p50"])
    print(f"target GraphQL <= 1.5x SPARQL at p50: {'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
