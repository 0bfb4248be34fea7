"""The home page (counts, sector tiles, cities on a map, recent changes), its type-ahead endpoint,
and the quality pages, over HTTP on a copy of the demo catalog."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.api.pages_home import city_map_svg
from agora.api.pages_quality import dimension_chart
from agora.kg.config import load_settings
from agora.kg.overview import CityPoint
from agora.kg.store import AgoraStore

ID = "https://agora.example.org/id/"
HTML = {"Accept": "text/html"}
VERKEER = ID + "antwerp/dataset/verkeerstellingen"


@pytest.fixture(scope="module")
def client(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("home") / "data"
    shutil.copytree(demo_dir, data)
    settings = load_settings(data, base_url="https://agora.example.org")
    store = AgoraStore(settings)
    with TestClient(create_app(settings, store=store, load_demo=False)) as c:
        yield c
    store.close()


def suggest(client: TestClient, q: str, **params: str) -> list[dict[str, str]]:
    r = client.get("/api/suggest", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()["suggestions"]


# -- type-ahead ---------------------------------------------------------------------------------------
def test_suggest_prefix_of_the_last_word_in_any_language(client: TestClient) -> None:
    got = suggest(client, "air q")
    assert got[0]["label"] == "Air quality" and got[0]["kind"] == "concept"
    assert any(s["kind"] == "dataset" and s["label"].startswith("Air quality") for s in got)
    assert all(s["href"].startswith(("/resource?iri=", "/search?filter=")) for s in got)


def test_suggest_shows_the_name_that_matched_and_names_cities(client: TestClient) -> None:
    got = suggest(client, "kø", lang="en")
    assert got[0] == {**got[0], "kind": "city", "label": "København", "lang": "da"}
    assert "Copenhagen" in got[0]["detail"] and "datasets" in got[0]["detail"]
    assert got[0]["href"] == "/search?filter=" + quote(f"city={ID}place/copenhagen", safe="")
    anvers = suggest(client, "anvers")
    assert anvers and anvers[0]["kind"] == "city" and anvers[0]["iri"] == ID + "place/antwerp"


def test_suggest_organisations_first_among_equals_and_limit(client: TestClient) -> None:
    got = suggest(client, "volt")
    assert got[0]["kind"] == "organisation" and got[0]["label"] == "Voltway Scooters BV"
    assert len(suggest(client, "tra", limit="3")) == 3
    assert suggest(client, "t") == [] and suggest(client, "") == []
    assert suggest(client, "zzzzqx") == []
    assert client.get("/api/suggest", params={"q": "tra", "limit": "0"}).status_code == 422


def test_suggest_follows_the_language_of_the_reader(client: TestClient) -> None:
    en = suggest(client, "tree", lang="en")
    assert en[0]["lang"] == "en"
    client.cookies.set("agora_lang", "da")
    try:
        da = suggest(client, "trafik")
    finally:
        client.cookies.delete("agora_lang")
    assert da and da[0]["lang"] in ("da", "sv")


# -- the home page ------------------------------------------------------------------------------------
def test_home_has_a_type_ahead_combobox_that_still_submits_without_script(client: TestClient) -> None:
    doc = client.get("/", headers=HTML).text
    form = re.search(r'<form class="hero-search"[^>]*>', doc)
    assert form and 'action="/search"' in form.group(0) and 'method="get"' in form.group(0)
    assert 'role="listbox"' in doc and 'id="hero-q-list"' in doc and 'name="q"' in doc
    assert "/static/typeahead.js" in doc
    assert client.get("/static/typeahead.js").status_code == 200


def test_home_shows_sector_tiles_with_counts(client: TestClient) -> None:
    doc = client.get("/", headers=HTML).text
    tiles = dict(re.findall(r'<li data-sector="([^"]+)"><a href="[^"]+"><strong>(\d+)</strong>', doc))
    assert {"mobility", "energy", "air-quality"} <= set(tiles)
    assert int(tiles["mobility"]) == client.get("/api/search", params={"filter": "sector=mobility", "type": "dataset",
                                                                       "size": 0}).json()["total"]
    assert 'href="/search?filter=sector%3Dmobility"' in doc


def test_home_shows_cities_on_a_map_and_recent_changes(client: TestClient) -> None:
    doc = client.get("/", headers=HTML).text
    svg = re.search(r'<svg class="city-map".*?</svg>', doc, re.S)
    assert svg is not None
    for city in ("Copenhagen", "Amsterdam", "Antwerp", "Florence"):
        assert f'aria-label="{city}: ' in svg.group(0)
    assert "oresund-region" not in svg.group(0)  # a region is not a dot on a city map
    changes = re.search(r'<table class="changes">.*?</table>', doc, re.S)
    assert changes is not None and changes.group(0).count("<tr>") >= 8
    assert re.search(r"data-count=\"datasets\">105<", doc)


def test_map_svg_escapes_names_and_sizes_dots_by_count() -> None:
    points = [CityPoint("https://x.example/a", "A <&> B", 40, 4.9, 52.4, "NLD"),
              CityPoint("https://x.example/b", "Bee", 10, 12.5, 55.7, "DNK")]
    svg = str(city_map_svg(points))
    assert "A &lt;&amp;&gt; B" in svg and "<&>" not in svg
    radii = [float(r) for r in re.findall(r'r="([\d.]+)"', svg)]
    assert radii[0] > radii[1]
    assert str(city_map_svg([])) == ""


# -- quality ------------------------------------------------------------------------------------------
def test_quality_overview_scores_every_catalog_with_a_chart_and_the_weakest(client: TestClient) -> None:
    r = client.get("/quality", headers=HTML)
    assert r.status_code == 200 and "refresh" not in r.headers
    doc = r.text
    api = client.get("/api/quality").json()
    for s in api["sources"]:
        row = re.search(rf'<tr data-source="{s["source"]}">.*?</tr>', doc, re.S)
        assert row is not None, s["source"]
        assert f'{s["average"]:.1f}' in row.group(0) and s["rating"].capitalize() in row.group(0)
        assert "<svg" in row.group(0) and "role=\"img\"" in row.group(0)
    assert doc.count('class="dim-label"') == 5  # the big chart: five dimensions
    low = re.search(r'<table class="lowest">.*?</table>', doc, re.S)
    assert low is not None and "/quality?dataset=" in low.group(0)
    first = re.search(r'<td class="num">([\d.]+)</td>', low.group(0))
    lowest_api = min(x["score"] for name in [s["source"] for s in api["sources"]]
                     for x in client.get("/api/quality", params={"source": name}).json()["lowest"])
    assert first is not None and float(first.group(1)) == pytest.approx(lowest_api)


def test_quality_of_a_dataset_shows_dimensions_and_what_to_fix(client: TestClient) -> None:
    doc = client.get("/quality", params={"dataset": VERKEER}, headers=HTML).text
    api = client.get("/api/quality", params={"dataset": VERKEER}).json()
    assert f'data-score="dataset">{api["score"]:g}<' in doc
    for lost in api["lost"]:
        assert f'data-indicator="{lost["indicator"]}"' in doc
    assert "dcat:byteSize" in doc and 'class="not-checked"' in doc
    assert f'href="/edit?iri={quote(VERKEER, safe="")}"' in doc


def test_quality_of_an_unknown_dataset_is_404(client: TestClient) -> None:
    r = client.get("/quality", params={"dataset": ID + "nothing"}, headers=HTML)
    assert r.status_code == 404 and "That did not work" in r.text


def test_dataset_page_links_quality_and_edit(client: TestClient) -> None:
    doc = client.get("/resource", params={"iri": VERKEER}, headers=HTML).text
    assert f'href="/quality?dataset={quote(VERKEER, safe="")}"' in doc
    assert f'href="/edit?iri={quote(VERKEER, safe="")}"' in doc
    assert 'href="/quality"' in doc  # in the navigation


def test_dimension_chart_describes_its_numbers() -> None:
    dims = {"findability": {"average": 50.0, "max": 100.0}, "accessibility": {"average": 0.0, "max": 100.0},
            "interoperability": {"average": 110.0, "max": 110.0}, "reusability": {"average": 70.0, "max": 75.0},
            "contextuality": {"average": 5.0, "max": 20.0}}
    svg = str(dimension_chart(dims, title="T <1>"))
    assert "findability: 50 of 100" in svg and "T &lt;1&gt;" in svg
    assert 'class="fill lo"' in svg and 'class="fill hi"' in svg and 'class="fill mid"' in svg


def test_quality_overview_is_computed_off_the_request_and_says_when_it_is_stale(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from agora.api import pages_quality

    gate = threading.Event()
    real = pages_quality.compute_overview

    def slow(store: object, key: tuple[object, ...]) -> object:
        gate.wait(30)
        return real(store, key)

    monkeypatch.setattr(pages_quality, "compute_overview", slow)
    monkeypatch.setattr(pages_quality, "WAIT_SECONDS", 0.05)
    client.app.state.quality_cache = None  # type: ignore[attr-defined]
    first = client.get("/quality", headers=HTML)
    assert first.status_code == 200 and first.headers["refresh"] == "5" and "being computed" in first.text
    gate.set()
    for _ in range(100):
        done = client.get("/quality", headers=HTML)
        if "refresh" not in done.headers:
            break
    assert "refresh" not in done.headers and '<table class="quality-table">' in done.text
    gate.clear()
    client.app.state.store.reload_registry()  # type: ignore[attr-defined]  # what every commit does
    stale = client.get("/quality", headers=HTML)
    assert stale.headers["refresh"] == "10" and "before the latest change" in stale.text
    assert '<table class="quality-table">' in stale.text  # the previous scores stay readable meanwhile
    gate.set()


def test_resource_pages_show_the_first_values_of_long_lists_and_count_the_rest(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10^5 datasets a catalog links 10^5 datasets and a sector tags 10^4: pages show the first ones."""
    from agora.kg import resources_view

    monkeypatch.setattr(resources_view, "MAX_VALUES", 3)
    monkeypatch.setattr(resources_view, "GROUP_CAP", 4)
    catalog = client.get("/resource", params={"iri": ID + "antwerp/catalog"}, headers=HTML).text
    more = re.search(r'<li class="more muted" data-more="(\d+)">and \d+ more:\s*<a href="([^"]+)"', catalog)
    assert more is not None and int(more.group(1)) == 19 - 3
    assert more.group(2).startswith("/sparql-ui?query=")
    sector = client.get("/resource", params={"iri": "https://w3id.org/agora/sector/mobility"}, headers=HTML).text
    note = re.search(r'<p class="muted more" data-total="(\d+)">The first 4 of \d+:\s*<a href="([^"]+)"', sector)
    assert note is not None and int(note.group(1)) >= 28
    assert note.group(2) == "/search?filter=" + quote("sector=https://w3id.org/agora/sector/mobility", safe="")
    city = client.get("/resource", params={"iri": ID + "place/copenhagen"}, headers=HTML).text
    assert 'data-total="' in city and "filter=city%3D" in city
    org = client.get("/resource", params={"iri": ID + "org/stad-antwerpen"}, headers=HTML).text
    assert 'data-total="' in org and "filter=publisher%3D" in org
    monkeypatch.setattr(resources_view, "MAX_INCOMING", 5)
    sector = client.get("/resource", params={"iri": "https://w3id.org/agora/sector/mobility"}, headers=HTML).text
    referenced = sector[sector.index('id="inc-h"'):]
    assert re.search(r'<span class="count">\d+\+</span>', referenced)  # "5+": the page stopped counting
