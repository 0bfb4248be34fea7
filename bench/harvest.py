"""Harvest throughput: records/s pulling a generated catalog from another Agora over HTTP, against
loading the same dump file directly, same profile (DCAT-AP 3.0.1 with background knowledge), same run.

Setup (not timed): the catalog is loaded into instance B, which `agora serve` exposes on
127.0.0.1. Then, each in its own fresh process so that peak RSS belongs to it alone:
- direct: `load_files(dump, profile="dcat-ap@3.0.1")` into an empty store;
- harvest: `agora harvest` of B's `/catalog` (Hydra pages of 1,000 records) into an empty store:
  fetch, parse, split into records, validate, quarantine (none here), commit, change feed.

    python bench/harvest.py --datasets 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ensure_catalog, free_port, machine_info, print_table, start_server, stop_server  # noqa: E402

_DIRECT = """
import json, resource, sys, time
from pathlib import Path
from agora.kg.config import load_settings
from agora.kg.store import AgoraStore
from agora.kg.loader import load_files
store = AgoraStore(load_settings(sys.argv[2]))
t = time.perf_counter()
result = load_files(store, [Path(sys.argv[1])], name="bench", validate=True, profile="dcat-ap@3.0.1")
store.ox.flush()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "triples": result.triples,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_HARVEST = """
import json, resource, sys, time
from agora.kg.config import load_settings
from agora.kg.store import AgoraStore
from agora.kg.opsdb import OpsDB
from agora.kg.harvest.service import HarvestService
from agora.kg.harvest.run import harvest
settings = load_settings(sys.argv[2], allow_hosts=["127.0.0.1"])
store = AgoraStore(settings)
svc = HarvestService(store, OpsDB(settings.ops_db_path))
svc.registry.add("b", sys.argv[1], "agora")
t = time.perf_counter()
run = harvest(store, svc.registry, svc.feed, "b")
store.ox.flush()
seconds = time.perf_counter() - t
assert run.status == "ok", run.error
print(json.dumps({"seconds": seconds, "records": run.records, "rejected": run.rejected, "pages": run.pages,
                  "bytes": run.bytes, "triples": store.require("b").current.triples,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _records(catalog: Path) -> int:
    marker = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset>"
    with catalog.open("rb") as f:
        return sum(1 for line in f if marker in line)


def _child(code: str, arg: str, work: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, arg, str(work)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _serve(catalog: Path, root: Path) -> tuple[subprocess.Popen[bytes], str]:
    data = root / "b"
    env = {**os.environ, "AGORA_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "agora.api.cli", "load", str(catalog), "--graph", "bench", "--no-validate"],
                   check=True, env=env, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        proc = start_server([sys.executable, "-m", "agora.api.cli", "serve", "--port", str(port), "--no-demo"], url,
                            env={**env, "AGORA_BASE_URL": url}, timeout=300, name="instance B")
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from exc
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(json.dumps(machine_info(), indent=1))
    rows = []
    for n in args.datasets:
        catalog = ensure_catalog(n, 0.0, 1)
        records = _records(catalog)
        root = Path(tempfile.mkdtemp(prefix="agora-bench-harvest-"))
        proc, url = _serve(catalog, root)
        try:
            direct = _child(_DIRECT, str(catalog), root / "direct")
            harvested = _child(_HARVEST, url, root / "a")
        finally:
            stop_server(proc)
            shutil.rmtree(root, ignore_errors=True)
        direct_rps = records / direct["seconds"]
        harvest_rps = harvested["records"] / harvested["seconds"]
        rows.append([f"{n:,}", f"{records:,}", f"{direct['seconds']:.1f}", f"{direct_rps:,.0f}",
                     f"{direct['rss_mib']:,.0f}", f"{harvested['seconds']:.1f}", f"{harvest_rps:,.0f}",
                     f"{harvested['rss_mib']:,.0f}", f"{int(harvested['pages'])}",
                     f"{harvested['bytes'] / 2**20:,.0f}", f"{int(harvested['rejected'])}",
                     f"{harvest_rps / direct_rps:.0%}"])
    print_table(rows, ["datasets", "records", "direct s", "direct rec/s", "direct peak MiB", "harvest s",
                       "harvest rec/s", "harvest peak MiB", "pages", "MiB over HTTP", "rejected",
                       "harvest / direct"])


if __name__ == "__main__":
    main()
