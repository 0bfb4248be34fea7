"""SPARQL over HTTP against the same queries run directly on pyoxigraph, same catalog, same run.

Prints p50/p99 per query for both and the ratio, then point-lookup throughput with 1, 8 and 32
concurrent clients (load generator on the same 2 cores). Targets: HTTP adds <= 2 ms at p50 to a
point lookup; 8 clients reach >= 1.6x the throughput of one; no collapse at 32.

    python bench/sparql_http.py --datasets 100000
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

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

QUERIES = {
    "point lookup": "SELECT ?p ?o WHERE { <https://bench.agora.example/ds/{i}> ?p ?o }",
    "keyword filter": ('SELECT ?d WHERE { ?d <http://purl.org/dc/terms/title> ?t '
                       'FILTER(CONTAINS(LCASE(STR(?t)), "traffic")) } LIMIT 20'),
    "facet aggregate": ("SELECT ?s (COUNT(?d) AS ?n) WHERE { ?d <https://w3id.org/agora/ns#sector> ?s } "
                        "GROUP BY ?s"),
    "1000-row page": ("SELECT ?d ?t WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
                      "<http://purl.org/dc/terms/title> ?t } LIMIT 1000"),
}


def _time(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(machine_info(), indent=1))
    catalog = ensure_catalog(args.datasets, 0.0, 1)
    work = Path(tempfile.mkdtemp(prefix="agora-bench-sparql-"))
    env = {**os.environ, "AGORA_DATA_DIR": str(work / "data"), "AGORA_QUERY_TIMEOUT": "60"}
    subprocess.run([sys.executable, "-m", "agora.api.cli", "load", str(catalog), "--graph", "bench", "--no-validate"],
                   env=env, check=True, capture_output=True)
    raw = ox.Store(str(work / "raw"))
    raw.bulk_load(path=str(catalog), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:bench"))
    graph = [ox.NamedNode("urn:bench")]
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        # Startup builds the search index and the change feed of the whole catalog: minutes at 100k.
        server = start_server([sys.executable, "-m", "agora.api.cli", "serve", "--port", str(port), "--no-demo"],
                              f"http://127.0.0.1:{port}", env=env, timeout=900, name="agora serve")
    except RuntimeError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(str(exc)) from exc
    try:
        client = httpx.Client(timeout=120)
        rows = []
        for name, q in QUERIES.items():
            n = args.repeat if name == "point lookup" else max(5, args.repeat // 20)

            def direct(i: int, q: str = q) -> None:
                list(raw.query(q.replace("{i}", str(i % args.datasets)), default_graph=graph))

            def http(i: int, q: str = q) -> None:
                r = client.get(url, params={"query": q.replace("{i}", str(i % args.datasets))},
                               headers={"Accept": "application/sparql-results+json"})
                r.raise_for_status()

            http(0)
            d, h = percentiles(_time(direct, n)), percentiles(_time(http, n))
            rows.append([name, f"{d[50]:.2f}", f"{d[99]:.2f}", f"{h[50]:.2f}", f"{h[99]:.2f}",
                         f"{h[50] - d[50]:+.2f}", f"{h[50] / d[50]:.1f}x"])
        print_table(rows, ["query", "direct p50 ms", "direct p99 ms", "HTTP p50 ms", "HTTP p99 ms",
                           "HTTP adds (p50)", "ratio"])

        def lookups(clients: int, seconds: float = 5.0) -> float:
            deadline = time.monotonic() + seconds
            done = [0] * clients

            def run(k: int) -> None:
                with httpx.Client(timeout=60) as c:
                    i = k
                    while time.monotonic() < deadline:
                        c.get(url, params={"query": QUERIES["point lookup"].replace("{i}", str(i % args.datasets))})
                        done[k] += 1
                        i += clients

            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                list(pool.map(run, range(clients)))
            return sum(done) / seconds

        base = lookups(1)
        trows = [["1", f"{base:,.0f}", "1.00x"]]
        for c in (8, 32):
            tput = lookups(c)
            trows.append([str(c), f"{tput:,.0f}", f"{tput / base:.2f}x"])
        print_table(trows, ["clients", "point lookups/s", "vs 1 client"])
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
