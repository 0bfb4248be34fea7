"""Load throughput: `agora load` (validation on) against raw `pyoxigraph.Store.bulk_load`, same file, same run.

Each side runs in its own fresh process so that peak RSS belongs to it alone. Target at 100k
datasets (~3M triples): `agora load` reaches >= 40% of raw bulk_load throughput, peak RSS <= 2 GiB.

    python bench/load.py --datasets 10000 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ensure_catalog, machine_info, print_table  # noqa: E402

_RAW = """
import json, resource, sys, time, pyoxigraph as ox
store = ox.Store(sys.argv[2])
t = time.perf_counter()
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:bench:g"))
store.flush()
seconds = time.perf_counter() - t
n = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode("urn:bench:g")))
print(json.dumps({"seconds": seconds, "triples": n,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_AGORA = """
import json, resource, sys, time
from pathlib import Path
from agora.kg.config import load_settings
from agora.kg.store import AgoraStore
from agora.kg.loader import load_files
store = AgoraStore(load_settings(sys.argv[2]))
t = time.perf_counter()
result = load_files(store, [Path(sys.argv[1])], name="bench", validate=True)
store.ox.flush()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "triples": result.triples, "validation": result.source.current.validation,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, catalog: Path) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="agora-bench-load-"))
    try:
        out = subprocess.run([sys.executable, "-c", code, str(catalog), str(work / "store")], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(json.dumps(machine_info(), indent=1))
    rows = []
    for n in args.datasets:
        catalog = ensure_catalog(n, 0.0, 1)
        raw = _run(_RAW, catalog)
        agora = _run(_AGORA, catalog)
        raw_tps = raw["triples"] / raw["seconds"]
        agora_tps = agora["triples"] / agora["seconds"]
        rows.append([f"{n:,}", f"{int(raw['triples']):,}", f"{raw_tps:,.0f}", f"{raw['rss_mib']:,.0f}",
                     f"{agora_tps:,.0f}", f"{agora['rss_mib']:,.0f}", agora.get("validation", ""),
                     f"{agora_tps / raw_tps:.0%}"])
    print_table(rows, ["datasets", "triples", "bulk_load t/s", "bulk_load peak MiB", "agora load t/s",
                       "agora peak MiB", "validation", "agora / raw"])


if __name__ == "__main__":
    main()
