"""The home page (search box with type-ahead, counts, sector tiles, cities on a map, recent changes)
and the suggestion endpoint behind the type-ahead.

Everything on the home page comes from the search index or the store's registry, not from SPARQL
over the whole catalog, so it answers in a few milliseconds at 10^5 datasets; the one SPARQL
aggregate left (the counts per class) is cached until the next committed write.
"""

from __future__ import annotations

import math
import threading
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from agora.kg.overview import CityPoint, Overview, class_counts, recent_changes
from agora.kg.suggest import MAX_LIMIT, Suggester

from .page_base import chosen_lang, render, resource_href
from .routes_search import get_search

router = APIRouter(tags=["pages"])
_lock = threading.Lock()


def _helpers(request: Request) -> tuple[Suggester, Overview]:
    """One suggester and one overview per app, next to its search service."""
    state = request.app.state
    service = get_search(request)
    with _lock:
        pair = getattr(state, "home_helpers", None)
        if pair is None or pair[0].service is not service:
            pair = (Suggester(service), Overview(service))
            state.home_helpers = pair
    return pair


def cached_counts(request: Request) -> dict[str, int]:
    """Resources per class for the tiles: one SPARQL aggregate (0.1 s at 10^5 datasets, more on a cold
    store), so it is kept per store generation. After a write the previous counts are shown while a
    thread counts again; only the very first request waits."""
    store = request.app.state.store
    state = request.app.state
    with _lock:
        hit = getattr(state, "home_counts", None)
        if hit is not None and hit[0] == store.generation:
            return dict(hit[1])
        running = getattr(state, "home_counts_running", None)
        start = running != store.generation
        if start:
            state.home_counts_running = store.generation

    def work() -> dict[str, int]:
        generation = store.generation
        try:
            counts = class_counts(store)
        finally:
            with _lock:
                state.home_counts_running = None
        with _lock:
            state.home_counts = (generation, counts)
        return counts

    if hit is None:
        return dict(work())
    if start:
        threading.Thread(target=work, name="agora-home-counts", daemon=True).start()
    return dict(hit[1])


@router.get("/api/suggest", tags=["search"],
            summary="Type-ahead: dataset titles, organisations, cities and concepts starting with what was typed")
def suggest(request: Request,
            q: Annotated[str, Query(description="what was typed so far; the last word matches as a prefix")] = "",
            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 8,
            lang: Annotated[str | None, Query(description="preferred language of the names")] = None,
            ) -> dict[str, Any]:
    suggester, _ = _helpers(request)
    language = lang or chosen_lang(request)
    out = []
    for s in suggester.suggest(q[:200], limit=limit, lang=language):
        item = s.to_dict()
        item["href"] = ("/search?filter=" + quote(f"city={s.iri}", safe="") if s.kind == "city"
                        else resource_href(s.iri))
        out.append(item)
    return {"query": q, "suggestions": out}


def _home_context(request: Request) -> dict[str, Any]:
    store = request.app.state.store
    _, overview = _helpers(request)
    lang = chosen_lang(request)
    cities = overview.cities(lang)
    return {"counts": cached_counts(request), "sources": store.sources(include_system=False),
            "sectors": overview.sectors(lang), "cities": cities, "city_map": city_map_svg(cities),
            "changes": recent_changes(store)}


async def home(request: Request) -> Response:
    """GET / (registered by app.py): the landing page."""
    return render(request, "landing.html", await run_in_threadpool(_home_context, request))


# -- the map ------------------------------------------------------------------------------------------
def city_map_svg(points: list[CityPoint], width: int = 640) -> Markup:
    """Cities as dots on a longitude/latitude grid, sized by their datasets; each dot links to them.

    Drawn on the server (no tiles, no script): an equirectangular projection scaled by the cosine of
    the middle latitude, with a 5-degree graticule and the country codes, is enough to see where the
    catalog's data comes from. At least a region the size of Benelux is shown, so one city still
    sits on a map rather than filling it.
    """
    if not points:
        return Markup("")
    lon0, lon1 = min(p.lon for p in points), max(p.lon for p in points)
    lat0, lat1 = min(p.lat for p in points), max(p.lat for p in points)
    mid = (lat0 + lat1) / 2
    kx = math.cos(math.radians(mid))
    min_span = 6.0
    if (lon1 - lon0) * kx < min_span:
        extra = (min_span / kx - (lon1 - lon0)) / 2
        lon0, lon1 = lon0 - extra, lon1 + extra
    if lat1 - lat0 < min_span * 0.6:
        extra = (min_span * 0.6 - (lat1 - lat0)) / 2
        lat0, lat1 = lat0 - extra, lat1 + extra
    if (lat1 - lat0) * 1.4 > (lon1 - lon0) * kx:  # a landscape frame: widen rather than grow tall
        extra = ((lat1 - lat0) * 1.4 / kx - (lon1 - lon0)) / 2
        lon0, lon1 = lon0 - extra, lon1 + extra
    pad = 0.08 * max((lon1 - lon0) * kx, lat1 - lat0)
    lon0, lon1, lat0, lat1 = lon0 - pad / kx, lon1 + pad / kx, lat0 - pad, lat1 + pad
    scale = width / ((lon1 - lon0) * kx)
    height = max(200, round((lat1 - lat0) * scale))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon0) * kx * scale, (lat1 - lat) * scale

    biggest = max(p.count for p in points)
    out = [f'<svg class="city-map" viewBox="0 0 {width} {height}" role="group" aria-labelledby="map-t" '
           'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="map-t">Map of the {len(points)} places the datasets cover; each links to its datasets</title>',
           f'<rect width="{width}" height="{height}" class="sea"/>']
    grid = []
    for lon in range(math.ceil(lon0 / 5) * 5, math.floor(lon1) + 1, 5):
        x, _ = xy(lon, lat0)
        grid.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}"/>')
    for lat in range(math.ceil(lat0 / 5) * 5, math.floor(lat1) + 1, 5):
        _, y = xy(lon0, lat)
        grid.append(f'<line x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}"/>')
    out.append(f'<g class="grid" aria-hidden="true">{"".join(grid)}</g>')
    placed: list[tuple[float, float, float, float]] = []
    dots = []
    for p in sorted(points, key=lambda p: -p.count):
        x, y = xy(p.lon, p.lat)
        r = 4 + 10 * math.sqrt(p.count / biggest)
        href = "/search?filter=" + quote(f"city={p.iri}", safe="")
        w = 7.2 * len(p.label) + 4
        box = (x + r + 2, y - 9, x + r + 2 + w, y + 6)
        show = box[2] <= width and not _overlaps(box, placed)
        if show:
            placed.append(box)
        placed.append((x - r, y - r, x + r, y + r))
        text = f'<text x="{box[0]:.1f}" y="{y + 4:.1f}">{escape(p.label)}</text>' if show else ""
        dots.append(f'<a href="{escape(href)}" aria-label="{escape(p.label)}: {p.count} datasets">'
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"><title>{escape(p.label)}: {p.count} datasets'
                    f'</title></circle>{text}</a>')
    by_country: dict[str, list[CityPoint]] = {}
    for p in points:
        if p.country:
            by_country.setdefault(p.country, []).append(p)
    marks = []
    for code, members in by_country.items():  # country codes where they do not cover a city or its name
        x, y = xy(sum(m.lon for m in members) / len(members), sum(m.lat for m in members) / len(members))
        for dy in (30, -24, 44, -38):
            box = (x - 16, y + dy - 12, x + 16, y + dy + 2)
            if not _overlaps(box, placed) and box[1] > 0 and box[3] < height:
                placed.append(box)
                marks.append(f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="middle">{escape(code)}</text>')
                break
    out.append(f'<g class="countries" aria-hidden="true">{"".join(marks)}</g>')
    out.extend(dots)
    out.append("</svg>")
    return Markup("".join(out))


def _overlaps(box: tuple[float, float, float, float], placed: list[tuple[float, float, float, float]]) -> bool:
    return any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in placed)
