"""The metadata quality pages: `/quality` (every catalog's score, its five dimensions, the weakest
datasets) and `/quality?dataset=IRI` (one dataset: its dimensions and what to fix).

The scores are kg/quality.py's, exactly as `/api/quality` and `agora quality` give them. Scoring a
whole catalog reads every dataset's facts (seconds at 10^5 datasets, more when DCAT-AP compliance
has to be validated), so the overview is computed in a background thread and kept until the store,
the link-check results or the weights change. While a newer overview is computed the page shows
the previous one and says so, instead of making the reader wait; small catalogs are scored within
the request.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from agora.kg.errors import AgoraError
from agora.kg.quality import BY_KEY, DIMENSIONS, LINK_RESULTS_FILE, dataset_quality, rating, source_quality

from .page_base import render

router = APIRouter(tags=["pages"])
WAIT_SECONDS = 1.5
"""How long a request waits for a fresh overview before showing the previous one (or a notice)."""
LOWEST = 15


# -- the overview, computed off the request path ------------------------------------------------------
@dataclass
class Overview:
    key: tuple[Any, ...]
    sources: list[dict[str, Any]]
    overall: dict[str, Any]
    lowest: list[dict[str, Any]]
    link_check: dict[str, Any]
    computed_at: float
    seconds: float
    error: str | None = None


@dataclass
class QualityCache:
    current: Overview | None = None
    running: tuple[Any, ...] | None = None
    done: threading.Condition = field(default_factory=threading.Condition)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _key(store: Any) -> tuple[Any, ...]:
    data_dir = Path(store.settings.data_dir)
    return (store.generation, _mtime(data_dir / LINK_RESULTS_FILE), _mtime(data_dir / "agora.toml"))


def compute_overview(store: Any, key: tuple[Any, ...]) -> Overview:
    """Every curator source's summary, overall averages and the weakest datasets across sources."""
    started = time.perf_counter()
    summaries, lowest = [], []
    weighted = {d: 0.0 for d in DIMENSIONS}
    dim_max = {d: 0.0 for d in DIMENSIONS}
    ratings: dict[str, int] = {}
    total = n = 0.0
    maximum = 0.0
    link_check: dict[str, Any] = {"checked": False}
    for info in store.sources(include_system=False):
        q = source_quality(store, info.name, lowest=LOWEST)
        link_check = q["link_check"]
        if not q["datasets"]:
            continue
        summaries.append(q)
        k = q["datasets"]
        n += k
        total += q["average"] * k
        maximum = q["max"]
        for d, v in q["dimensions"].items():
            weighted[d] += v["average"] * k
            dim_max[d] = v["max"]
        for r, c in q["ratings"].items():
            ratings[r] = ratings.get(r, 0) + c
        lowest += [{**row, "source": info.name} for row in q["lowest"]]
    avg = total / n if n else 0.0
    overall = {"datasets": int(n), "average": round(avg, 2), "max": maximum, "rating": rating(avg, maximum or 1),
               "ratings": ratings,
               "dimensions": {d: {"average": round(weighted[d] / n, 2) if n else 0.0, "max": dim_max[d]}
                              for d in DIMENSIONS}}
    lowest.sort(key=lambda r: (r["score"], r["dataset"]))
    return Overview(key, summaries, overall, lowest[:LOWEST], link_check, time.time(),
                    time.perf_counter() - started)


def _cache(request: Request) -> QualityCache:
    state = request.app.state
    cache = getattr(state, "quality_cache", None)
    if cache is None:
        cache = state.quality_cache = QualityCache()
    return cache


def _start(cache: QualityCache, store: Any, key: tuple[Any, ...]) -> None:
    """Compute the overview for `key` in a thread, unless that is already under way."""
    with cache.done:
        if cache.running == key or (cache.current is not None and cache.current.key == key):
            return
        cache.running = key

    def work() -> None:
        try:
            result = compute_overview(store, key)
        except Exception as exc:  # shown on the page; the next request tries again
            result = Overview(key, [], {}, [], {}, time.time(), 0.0, error=str(exc))
        _settle_garbage_collector()
        with cache.done:
            if cache.running == key:
                cache.running = None
            if result.error is None or cache.current is None:
                cache.current = result
            cache.done.notify_all()

    threading.Thread(target=work, name="agora-quality-overview", daemon=True).start()


def _settle_garbage_collector() -> None:
    """Keep the scoring's long-lived objects out of Python's full garbage collections.

    Scoring 10^5 datasets leaves about 1.3 million objects in kg/quality.py's cache of facts (kept
    so that /api/quality answers at once). Every full collection then walks all of them: measured at
    0.6-1.1 s, a pause that lands on whichever page is being served. Collecting once now and
    freezing what survives (gc.freeze: the objects are still freed by reference counting when the
    cache lets go of them; only cycle detection skips them) removes those pauses.
    """
    gc.collect()
    gc.freeze()


def overview(request: Request, wait: float | None = None) -> tuple[Overview | None, bool]:
    """The freshest overview within `wait` seconds, and whether it describes the store as it is now."""
    wait = WAIT_SECONDS if wait is None else wait
    store = request.app.state.store
    cache = _cache(request)
    key = _key(store)
    _start(cache, store, key)
    deadline = time.monotonic() + wait
    with cache.done:
        while (cache.current is None or cache.current.key != key) and time.monotonic() < deadline:
            cache.done.wait(max(0.0, deadline - time.monotonic()))
        current = cache.current
    return current, current is not None and current.key == key


# -- charts -------------------------------------------------------------------------------------------
BAND_CLASS = {"excellent": "band-excellent", "good": "band-good", "sufficient": "band-sufficient", "bad": "band-bad"}


def dimension_chart(dims: dict[str, dict[str, float]], *, value: str = "average", title: str,
                    compact: bool = False) -> Markup:
    """Five horizontal bars, each dimension's points against its maximum, as inline SVG.

    The numbers are also in the chart's description, so a screen reader gets the same facts.
    """
    row_h = 12 if compact else 30
    label_w = 0 if compact else 132
    bar_w = 150 if compact else 300
    width = label_w + bar_w + (0 if compact else 92)
    height = row_h * len(DIMENSIONS) + (0 if compact else 6)
    desc = "; ".join(f"{d}: {dims[d][value]:g} of {dims[d]['max']:g}" for d in DIMENSIONS if d in dims)
    ident = "c" + hashlib.sha1(f"{title}|{desc}|{compact}".encode()).hexdigest()[:10]
    out = [f'<svg class="dims{" compact" if compact else ""}" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>']
    for i, d in enumerate(DIMENSIONS):
        if d not in dims:
            continue
        score, top = dims[d][value], dims[d]["max"] or 1
        share = max(0.0, min(1.0, score / top))
        y = i * row_h + (3 if not compact else 1)
        h = row_h - (10 if not compact else 3)
        band = "hi" if share >= 0.8 else "mid" if share >= 0.5 else "lo"
        if not compact:
            out.append(f'<text x="0" y="{y + h - 5}" class="dim-label">{d.capitalize()}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{h}" rx="3" class="track"/>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{bar_w * share:.1f}" height="{h}" rx="3" class="fill {band}"/>')
        if not compact:
            out.append(f'<text x="{label_w + bar_w + 8}" y="{y + h - 5}" class="dim-value">{score:g} / {top:g}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# -- the page -----------------------------------------------------------------------------------------
@router.get("/quality", summary="Metadata quality: every catalog's score and the weakest datasets, or one dataset")
async def quality_page(request: Request, dataset: str | None = None) -> Response:
    if dataset is not None:
        return await _dataset_page(request, dataset)
    result, fresh = await run_in_threadpool(overview, request)
    if result is None:
        return render(request, "quality.html", {"pending": True, "fresh": False, "result": None},
                      headers={"Refresh": "5"})
    charts = {s["source"]: dimension_chart(s["dimensions"], title=f"Dimensions of {s['source']}", compact=True)
              for s in result.sources}
    main_chart = dimension_chart(result.overall.get("dimensions", {}), title="Average points per dimension, "
                                 "all catalogs") if result.overall else Markup("")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(result.computed_at))
    return render(request, "quality.html", {"pending": False, "fresh": fresh, "result": result, "charts": charts,
                                            "main_chart": main_chart, "computed": when, "bands": BAND_CLASS,
                                            "indicators": {k: i.label for k, i in BY_KEY.items()}},
                  headers=None if fresh else {"Refresh": "10"})


async def _dataset_page(request: Request, iri: str) -> Response:
    store = request.app.state.store
    try:
        q = await run_in_threadpool(dataset_quality, store, iri.strip())
    except AgoraError as exc:
        return render(request, "error.html", {"error": exc}, status=exc.http_status)
    chart = dimension_chart(q["dimensions"], value="score", title=f"Points per dimension of {q['title'] or iri}")
    return render(request, "quality_dataset.html", {"q": q, "chart": chart, "bands": BAND_CLASS})
