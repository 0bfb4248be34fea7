"""Search benchmark: index build, index size, and query latency against SPARQL CONTAINS.

For each catalog size: generate (cached) and load the synthetic catalog into a store once (kept in
the work directory for later runs), then
- build the search index from the store (`SearchIndex.rebuild`, what `agora reindex` does) in one
  process and with one worker process per core, and separately time reading the documents out of
  the store, Oxigraph serialising the dataset rows on its own (the floor for any one reader), and
  feeding prepared documents to tantivy, so each cost is visible;
- run keyword queries, keyword queries with two facet filters and two facet counts, concept
  (SKOS-expanded) queries, and full default searches (expansion + all facets), through
  `SearchService.search` exactly as the API does (minus HTTP), and report p50/p99;
- run a SPARQL query with CONTAINS filters for the same words in the same process, and print the
  ratios.

Targets: at 1M datasets p50 <= 20 ms and p99 <= 100 ms; >= 50x faster than CONTAINS at 100k;
indexing >= 20k datasets/s.

    python bench/search.py --datasets 100000            # ~2 min load on first run, then cached
    python bench/search.py --datasets 100000 1000000 --work /tmp/agora-bench-search
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import _generator, ensure_catalog, machine_info, peak_rss_mib, percentiles, print_table, timer  # noqa: E402,E501


def _store(n: int, work: Path) -> tuple[Any, Path]:
    """The store holding the catalog (named after the generated file, so a new generator version
    gets a new store) and the directory it lives in."""
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.store import AgoraStore

    catalog = ensure_catalog(n, 0.0, 1)
    home = work / catalog.name.split(".")[0]
    store = AgoraStore(load_settings(home))
    if store.get("bench") is None:
        with timer() as t:
            load_files(store, [catalog], name="bench", validate=False)
        print(f"loaded {n:,} datasets into the store in {t.seconds:.1f} s (once; kept in {home})", flush=True)
    return store, home


def _queries(seed: int = 7) -> dict[str, list[str]]:
    """Words people would type for the generated catalog: topic names and keywords in five languages,
    and sector labels (which SKOS expansion recognises)."""
    gen = _generator()
    rng = random.Random(seed)
    keyword = [t.titles[lang] for t in gen.TOPICS for lang in gen.LANGS]
    keyword += [t.keywords[lang][0] for t in gen.TOPICS for lang in gen.LANGS]
    rng.shuffle(keyword)
    return {"keyword": keyword[:150]}


def _concept_queries(service: Any, k: int = 150, seed: int = 11) -> list[str]:
    graph = service.graph()
    labels = sorted({text for c in graph.concepts.values() if c.iri.startswith("https://w3id.org/agora/sector/")
                     for text, _lang, kind in c.labels if kind in ("pref", "alt")})
    random.Random(seed).shuffle(labels)
    return labels[:k]


def _cpu_seconds() -> float:
    """CPU time of this process, every thread included (tantivy indexes in its own threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _time(fn: Any, items: list[Any]) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _contains_query(words: list[str]) -> str:
    tests = " && ".join(f'CONTAINS(LCASE(STR(?t)), "{w}")' for w in words)
    return ("PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
            "SELECT DISTINCT ?d WHERE { ?d a dcat:Dataset ; dct:title|dct:description|dcat:keyword ?t . "
            f"FILTER({tests}) }}")


def run(n: int, work: Path, contains_samples: int) -> dict[str, Any]:
    import pyoxigraph as ox

    from agora.kg.namespaces import DCAT
    from agora.kg.query import run_query
    from agora.kg.search.extract import Extractor, rows_query
    from agora.kg.search.indexer import SearchIndex, to_json
    from agora.kg.search.parallel import worker_count
    from agora.kg.search.params import parse_filters
    from agora.kg.search.results import SearchRequest
    from agora.kg.search.service import SearchService
    from agora.kg.shacl.engine import gc_paused

    store, home = _store(n, work)
    info = store.get("bench")
    row: dict[str, Any] = {"datasets": n}

    # -- index build ------------------------------------------------------------------------------
    # First in one process (the baseline), then with one worker process per core reading slices of
    # a checkpoint (what `agora reindex` does by default); the second index serves the queries.
    path = home / "search"
    workers = worker_count(store.settings)
    for key, count in (("build_1", 1), ("build", workers)):
        shutil.rmtree(path, ignore_errors=True)
        store.settings.index_workers = count
        index = SearchIndex(path)
        with timer() as t:
            stats = index.rebuild(store)
        row[f"{key}_s"] = t.seconds
        row[f"{key}_per_s"] = n / t.seconds
    row["workers"] = workers
    row["documents"] = stats.documents
    row["index_mib"] = index.size_bytes() / 2**20
    row["rebuild_peak_rss_mib"] = peak_rss_mib()  # the store's caches and the index writer's heap included
    # What bounds a rebuild: the rows of the datasets serialised by Oxigraph itself (no Python, one
    # thread): an upper bound for any single reader of the store.
    rows_query = rows_query(DCAT + "Dataset")
    with timer() as t:
        size = len(store.ox.query(rows_query, default_graph=[info.physical]).serialize(
            format=ox.QueryResultsFormat.TSV))
    row["read_floor_per_s"] = n / t.seconds
    with timer() as t, gc_paused():  # as rebuild() reads
        docs = [to_json(d) for d in Extractor(store).documents("bench", info.physical)]
    row["extract_per_s"] = n / t.seconds
    scratch = SearchIndex(home / "search-scratch")
    writer = scratch.index.writer(heap_size=512_000_000, num_threads=workers)
    cpu_before = _cpu_seconds()
    with timer() as t:
        for d in docs:
            writer.add_json(d)
        writer.commit()
        writer.wait_merging_threads()
    row["tantivy_per_s"] = len(docs) / t.seconds
    row["tantivy_cpu_us"] = (_cpu_seconds() - cpu_before) / len(docs) * 1e6  # all of tantivy's threads
    # The CPU a rebuild cannot do without, per dataset: Oxigraph reading the rows (one thread, so its
    # wall time is its CPU time) plus tantivy indexing them; on this machine's cores that caps the rate.
    row["rate_cap_per_s"] = (os.cpu_count() or 1) * 1e6 / (1e6 / row["read_floor_per_s"] + row["tantivy_cpu_us"])
    del docs, writer, scratch
    shutil.rmtree(home / "search-scratch", ignore_errors=True)
    print(f"n={n:,}: rebuild {row['build_s']:.1f} s ({row['build_per_s']:,.0f}/s) with {workers} workers, "
          f"{row['build_1_s']:.1f} s ({row['build_1_per_s']:,.0f}/s) in one process "
          f"({row['build_1_s'] / row['build_s']:.2f}x); in one process reading from the store "
          f"{row['extract_per_s']:,.0f}/s, Oxigraph serialising the rows alone {row['read_floor_per_s']:,.0f}/s "
          f"({size / 2**20:,.0f} MiB of TSV); tantivy indexing prepared documents {row['tantivy_per_s']:,.0f}/s "
          f"({row['tantivy_cpu_us']:.0f} µs of CPU each); the two together cap a rebuild on {os.cpu_count()} cores "
          f"at {row['rate_cap_per_s']:,.0f} datasets/s; "
          f"index {row['index_mib']:.1f} MiB; peak RSS {row['rebuild_peak_rss_mib']:,.0f} MiB", flush=True)

    # -- queries ----------------------------------------------------------------------------------
    service = SearchService(store, index)
    keyword = _queries()["keyword"]
    concepts = _concept_queries(service)
    countries = ["DNK", "NLD", "ITA", "DEU", "BEL", "AUT", "IRL"]
    formats = ["CSV", "JSON", "GEOJSON", "XLSX"]
    rng = random.Random(3)
    faceted = [(q, parse_filters([f"country={rng.choice(countries)}", f"format={rng.choice(formats)}"]))
               for q in keyword]
    kinds = {
        "keyword": (keyword, lambda q: service.search(SearchRequest(q=q, expand=False, facets=[]))),
        "keyword + 2 facets": (faceted, lambda qf: service.search(SearchRequest(
            q=qf[0], expand=False, filters=qf[1], facets=["country", "format"]))),
        "concept-expanded": (concepts, lambda q: service.search(SearchRequest(q=q, facets=[]))),
        "full (expansion + 9 facets)": (keyword, lambda q: service.search(SearchRequest(q=q))),
    }
    latencies: dict[str, dict[float, float]] = {}
    for name, (items, fn) in kinds.items():
        _time(fn, items[:10])  # warm-up: caches, concept graph, page cache
        latencies[name] = percentiles(_time(fn, items))
    totals = [service.search(SearchRequest(q=q, expand=False, facets=[], size=1)).total for q in keyword[:20]]
    row["mean_matches"] = sum(totals) / len(totals)

    # -- SPARQL CONTAINS, same words, same process --------------------------------------------------
    analyzer = service.builder.plain
    sample = keyword[:contains_samples]

    def contains(q: str) -> int:
        outcome = run_query(store, _contains_query(analyzer.analyze(q)))
        return sum(1 for _ in outcome.rows or [])

    sparql = percentiles(_time(contains, sample))
    ours = percentiles(_time(kinds["keyword"][1], sample))
    row["latency"] = latencies
    row["contains"] = sparql
    row["ratio_p50"] = sparql[50] / ours[50]
    store.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/agora-bench-search"),
                        help="Where stores and indexes are kept between runs.")
    parser.add_argument("--contains-samples", type=int, default=15,
                        help="How many keyword queries to also run as SPARQL CONTAINS (they are slow).")
    parser.add_argument("--json", type=Path, help="Also write the raw figures here.")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps(machine_info()))
    rows = [run(n, args.work, args.contains_samples) for n in args.datasets]
    print_table([[r["datasets"], r["documents"], r["workers"], r["build_s"], r["build_per_s"], r["build_1_s"],
                  r["build_1_per_s"], r["build_1_s"] / r["build_s"], r["extract_per_s"], r["read_floor_per_s"],
                  r["tantivy_per_s"], r["rate_cap_per_s"], r["index_mib"]] for r in rows],
                ["datasets", "documents", "workers", "build s", "datasets/s", "one process s", "datasets/s",
                 "speed-up", "read in Python /s", "Oxigraph rows alone /s", "tantivy alone /s", "CPU cap /s",
                 "index MiB"])
    print()
    table = []
    for r in rows:
        for name, p in r["latency"].items():
            table.append([r["datasets"], name, p[50], p[99]])
        table.append([r["datasets"], "SPARQL CONTAINS (same words)", r["contains"][50], r["contains"][99]])
    print_table(table, ["datasets", "query", "p50 ms", "p99 ms"])
    print()
    print_table([[r["datasets"], r["mean_matches"], r["ratio_p50"]] for r in rows],
                ["datasets", "mean matches per keyword query", "CONTAINS p50 / search p50"])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
