"""Policy decisions at catalog scale: usable_datasets and filtered pages over a generated store.

The generated catalog (bench/generate.py) has N datasets, each pointing (odrl:hasPolicy) to one
of 1,000 generated ODRL Sets (open use; use for one purpose; use minus a prohibition). The store
is loaded once and kept under bench/.cache, so reruns measure decisions, not loading.

Reported:
- cold: the first usable_datasets after opening (reads the policies and the 100k hasPolicy links);
- usable_datasets for a new (party, purpose) request with warm policy caches: decisions/s;
- a filtered page: 20 datasets of a result page filtered by "usable by X for P" (filter_usable),
  p50/p99 over many pages with changing parties and purposes. Target: <= 100 ms per page.

    python bench/policy.py --datasets 100000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CACHE_DIR, ensure_catalog, machine_info, peak_rss_mib, percentiles, print_table, timer  # noqa: E402


def open_store(n: int) -> object:
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.store import AgoraStore

    catalog = ensure_catalog(n, 0.0, 1)
    data_dir = CACHE_DIR / f"policy-store-{catalog.stem}"
    store = AgoraStore(load_settings(data_dir))
    if store.get("bench") is None:
        with timer() as t:
            load_files(store, [catalog], name="bench", validate=False)
        print(f"loaded {catalog.name} in {t.seconds:.1f} s", file=sys.stderr)
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=300, help="filtered pages to time")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from agora.kg.policy import engine_for, filter_usable, usable_datasets
    from agora.kg.policy.catalog import _groups

    print(json.dumps(machine_info(), indent=1))
    store = open_store(args.datasets)
    rng = random.Random(args.seed)
    source = engine_for(store).source
    parties = [r[0] for r in source.select(
        "SELECT DISTINCT ?o WHERE { ?d dct:publisher ?o } ORDER BY ?o LIMIT 30") if isinstance(r[0], str)]
    purposes: list[str | None] = [None, *sorted({r[0] for r in source.select(
        "SELECT DISTINCT ?p WHERE { ?c odrl:leftOperand odrl:purpose ; odrl:rightOperand ?p }")
        if isinstance(r[0], str)})]
    parties = parties or ["https://bench.agora.example/org/0"]

    with timer() as cold:
        first = usable_datasets(store, parties[0], purposes[1] if len(purposes) > 1 else None)
    snap = engine_for(store).snapshot()
    groups, index = _groups(snap)
    assets = sorted(index)
    print(f"{len(assets):,} datasets with policies, {len(snap.policies):,} policies, {len(groups):,} policy groups; "
          f"first usable_datasets: {len(first):,} usable", file=sys.stderr)

    warm_times = []
    decided = 0
    for party in parties[1:6]:
        for purpose in purposes:
            with timer() as t:
                usable_datasets(store, party, purpose)
            warm_times.append(t.seconds)
            decided += len(assets)
    warm_total = sum(warm_times)

    page_times = []
    for _ in range(args.pages):
        start = rng.randrange(0, max(1, len(assets) - 20))
        page = assets[start:start + 20]
        party = rng.choice(parties)
        purpose = rng.choice(purposes)
        with timer() as t:
            filter_usable(store, page, party, purpose)
        page_times.append(t.seconds)
    page = percentiles(page_times)
    warm = percentiles(warm_times)
    rows = [
        ["usable_datasets, cold (policies + links read)", 1, cold.seconds * 1000, cold.seconds * 1000,
         len(assets) / cold.seconds],
        ["usable_datasets, new request, warm caches", len(warm_times), warm[50] * 1000, warm[99] * 1000,
         decided / warm_total],
        ["filtered page of 20 (filter_usable)", len(page_times), page[50] * 1000, page[99] * 1000,
         20 * len(page_times) / sum(page_times)],
    ]
    print_table(rows, ["operation", "runs", "p50 ms", "p99 ms", "dataset decisions/s"])
    print(f"\n{args.datasets:,} datasets, {len(snap.policies):,} policies; peak RSS {peak_rss_mib():,.0f} MiB; "
          f"filtered page p99 {page[99] * 1000:.1f} ms (target <= 100 ms)")
    store.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
