"""Web page latency at scale: every main page of the UI from a real uvicorn on 127.0.0.1.

Generates (cached) and loads the synthetic catalog once (validated with the Agora profile, as a
curator's load would be; kept in the work directory for later runs), starts `create_app` under
uvicorn in a subprocess, and requests each page N times over HTTP (one client, sequential, HTML
Accept header), after a few warm-up requests. Pages whose URL has a variable part (search words,
the dataset or organisation shown) cycle through different values, so caches of one URL do not
flatter the figures.

Target: every page answers in <= 200 ms at 100k datasets (issue 10). Reported: p50 and p99 in ms
and p99 / 200 ms (<= 1 meets the target).

The quality overview scores every dataset of the catalog in the background after a change; the
first request starts that and the time until the page shows fresh scores is reported separately
("quality overview, first computation"), then the page is measured like the others.

    python bench/pages.py --datasets 100000            # first run: ~3 min generate+load, ~1 min index
    python bench/pages.py --datasets 10000 --requests 30
    python bench/pages.py --save                        # also time one save of the edit form (writes)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    timer,
)

TARGET_MS = 200.0
HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
BASE = "https://bench.agora.example/"

LOAD = """
import sys, time
from pathlib import Path
from agora.kg.config import load_settings
from agora.kg.loader import load_files
from agora.kg.store import AgoraStore
store = AgoraStore(load_settings(sys.argv[1]))
if store.get("bench") is None:
    t = time.perf_counter()
    load_files(store, [Path(sys.argv[2])], name="bench", validate=True)
    print(f"loaded {sys.argv[2]} with validation in {time.perf_counter() - t:.1f} s", flush=True)
store.close()
"""

SERVER = """
import sys, uvicorn
from agora.kg.config import load_settings
from agora.api.app import create_app
app = create_app(load_settings(sys.argv[1]), load_demo=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""

SEARCH_WORDS = ["traffic", "air quality", "parking", "electricity", "energie", "luftkvalitet", "water level",
                "noise", "bike", "waste collection", "trafik", "parcheggi", "Verkehr", "heat", "bus"]
SECTORS = ["mobility", "energy", "environment", "water", "waste", "parking", "air-quality", "buildings"]
CITIES = ["copenhagen", "aarhus", "amsterdam", "rotterdam", "antwerpen", "gent", "milano", "firenze", "berlin", "wien"]
FACETS = ["country=DNK", "country=NLD", "country=ITA", "country=DEU", "format=CSV", "format=JSON", "sector=mobility",
          "sector=energy"]


def _data_dir(n: int, work: Path) -> Path:
    catalog = ensure_catalog(n, 0.0, 1)
    data = work / catalog.name.split(".")[0] / "data"
    with timer() as t:
        done = subprocess.run([sys.executable, "-c", LOAD, str(data), str(catalog)], text=True, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"loading failed:\n{done.stderr}")
    if done.stdout.strip():
        print(done.stdout.strip(), f"(kept in {data})", flush=True)
    elif t.seconds > 5:
        print(f"opened the store in {t.seconds:.1f} s", flush=True)
    return data


def _start(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:  # the first start after a load builds the search index, hence 900 s
        proc = start_server([sys.executable, "-c", SERVER, str(data), str(port)], url, log_file=log, timeout=900)
    except RuntimeError as exc:
        raise SystemExit(f"the server did not start: {exc}") from exc
    return proc, url


def _pages(n: int, rng: random.Random) -> dict[str, list[str]]:
    """Each page with the URLs to cycle through."""
    datasets = [f"{BASE}ds/{rng.randrange(n)}" for _ in range(40)]
    orgs = [f"{BASE}org/{i}" for i in rng.sample(range(min(n, 500)), 20)]

    def res(iri: str) -> str:
        return "/resource?iri=" + quote(iri, safe="")

    return {
        "home": ["/"],
        "search": [f"/search?q={quote(w)}" for w in SEARCH_WORDS],
        "search + 2 facets": [f"/search?q={quote(w)}&filter={quote(rng.choice(FACETS[:4]))}"
                              f"&filter={quote(rng.choice(FACETS[4:]))}" for w in SEARCH_WORDS],
        "search, facets only": [f"/search?filter={quote(f)}" for f in FACETS],
        "dataset page": [res(d) for d in datasets],
        "organisation page": [res(o) for o in orgs],
        "sector page (10^4 datasets)": [res(f"https://w3id.org/agora/sector/{x}") for x in SECTORS],
        "city page": [res(f"{BASE}city/{c}") for c in CITIES],
        "catalog page (10^5 links)": [res(f"{BASE}catalog")],
        "quality overview": ["/quality"],
        "quality of a dataset": ["/quality?dataset=" + quote(d, safe="") for d in datasets],
        "edit form": ["/edit?iri=" + quote(d, safe="") for d in datasets],
        "sources": ["/sources"],
        "validate (GET)": ["/validate"],
        "type-ahead /api/suggest": [f"/api/suggest?q={quote(w[:k])}" for w in SEARCH_WORDS for k in (2, 4)],
    }


def _wait_for_quality(client: httpx.Client) -> float:
    """Seconds until /quality shows scores of the store as it is (no Refresh header)."""
    started = time.perf_counter()
    while True:
        r = client.get("/quality", headers=HTML)
        r.raise_for_status()
        if "refresh" not in r.headers:
            return time.perf_counter() - started
        if time.perf_counter() - started > 1800:
            raise SystemExit("the quality overview was not computed within 30 minutes")
        time.sleep(2)


def _form_fields(doc: str) -> list[tuple[str, str]]:
    """What a browser submits from the edit form as it was served."""
    import html
    import re

    body = re.search(r'<form method="post" action="/edit".*?</form>', doc, re.S)
    assert body is not None, "no edit form"
    out = []
    for m in re.finditer(r"<input([^>]*)>", body.group(0)):
        attrs = m.group(1)
        name, value = re.search(r'name="([^"]*)"', attrs), re.search(r'value="([^"]*)"', attrs)
        if name and not ('type="checkbox"' in attrs and " checked" not in attrs):
            out.append((name.group(1), html.unescape(value.group(1)) if value else ""))
    for m in re.finditer(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', body.group(0), re.S):
        out.append((m.group(1), html.unescape(m.group(2))))
    for m in re.finditer(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', body.group(0), re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', m.group(2))
        out.append((m.group(1), html.unescape(chosen.group(1)) if chosen else ""))
    return out


def _save_once(client: httpx.Client, data: Path, iri: str) -> float:
    """Seconds for one edit-form save (copy-on-write of the whole source, validation, commit)."""
    from urllib.parse import urlencode

    made = subprocess.run([sys.executable, "-m", "agora.api.cli", "token", "create", "--scope", "admin", "--name",
                           "bench-pages"], env={**os.environ, "AGORA_DATA_DIR": str(data)}, capture_output=True,
                          text=True, check=True)
    token = made.stdout.strip().splitlines()[-1]
    fields = _form_fields(client.get("/edit", params={"iri": iri}, headers=HTML).text)
    stamp = time.strftime("%H:%M:%S")
    fields = [(k, f"{v} (edited {stamp})" if k == "title.en" else v) for k, v in fields if k != "token"]
    fields.append(("token", token))
    start = time.perf_counter()
    r = client.post("/edit", content=urlencode(fields), headers={**HTML, "Content-Type":
                                                                 "application/x-www-form-urlencoded"})
    seconds = time.perf_counter() - start
    if r.status_code != 303:
        raise SystemExit(f"the save answered {r.status_code}: {r.text[:500]}")
    return seconds


def run(n: int, work: Path, requests: int, seed: int, save: bool = False) -> dict[str, Any]:
    data = _data_dir(n, work)
    rng = random.Random(seed)
    with timer() as t:
        proc, url = _start(data, work / f"server-{n}.log")
    print(f"n={n:,}: server ready in {t.seconds:.1f} s", flush=True)
    row: dict[str, Any] = {"datasets": n, "latency": {}, "status": {}}
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            row["quality_first_s"] = _wait_for_quality(client)
            print(f"n={n:,}: quality overview computed in {row['quality_first_s']:.1f} s", flush=True)
            for name, urls in _pages(n, rng).items():
                for u in urls[:3]:  # warm-up: page cache, label caches
                    client.get(u, headers=HTML)
                samples = []
                statuses: dict[int, int] = {}
                for i in range(requests):
                    u = urls[i % len(urls)]
                    start = time.perf_counter()
                    r = client.get(u, headers=HTML)
                    samples.append((time.perf_counter() - start) * 1000)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                p = percentiles(samples)
                row["latency"][name] = p
                row["status"][name] = statuses
                print(f"  {name}: p50 {p[50]:.1f} ms, p99 {p[99]:.1f} ms {statuses}", flush=True)
            if save:
                row["save_s"] = _save_once(client, data, f"{BASE}ds/{rng.randrange(n)}")
                print(f"n={n:,}: one edit-form save took {row['save_s']:.1f} s", flush=True)
    finally:
        stop_server(proc)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[100_000])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--work", type=Path, default=Path("/tmp/agora-bench-pages"),
                        help="Where loaded stores are kept between runs.")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, help="Also write the raw figures here.")
    parser.add_argument("--save", action="store_true",
                        help="Also time one save of the edit form (changes the stored catalog: a new version of "
                             "the source, re-indexed and re-scored afterwards).")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(json.dumps(machine_info()))
    rows = [run(n, args.work, args.requests, args.seed, args.save) for n in args.datasets]
    table = []
    for r in rows:
        for name, p in r["latency"].items():
            ok = sum(c for s, c in r["status"][name].items() if s < 400)
            total = sum(r["status"][name].values())
            table.append([r["datasets"], name, p[50], p[99], p[99] / TARGET_MS, f"{ok}/{total}"])
    print()
    print_table(table, ["datasets", "page", "p50 ms", "p99 ms", "p99 / 200 ms", "2xx/3xx"])
    print()
    print_table([[r["datasets"], r["quality_first_s"], r.get("save_s")] for r in rows],
                ["datasets", "quality overview, first computation s", "one edit-form save s"])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
