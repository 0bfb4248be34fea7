"""The pages in a real browser: Debian's Chromium driven by Playwright against `agora serve`.

These check what only a browser shows: the editor's script runs queries and draws the table, the
curator's script sends the token and shows a refused load's report, links lead where they
should. Chromium comes from Debian (`.ci/browser-deps`), never from a download at test time; if
it is missing the tests fail and say how to install it, because skipping would hide a broken UI.

Screenshots go to a temporary folder, or to docs/screenshots/ with AGORA_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BASE_URL = "https://agora.example.org"
TRIPS = BASE_URL + "/id/antwerp/dataset/deelsteps-ritten"
ESCOOTER = BASE_URL + "/id/usecase/e-scooter-b2g-planning"
BROKEN = (b"@prefix dct: <http://purl.org/dc/terms/> .\n"
          b"<https://x.example/d> a <http://www.w3.org/ns/dcat#Dataset> ;\n"
          b"  dct:title \"broken .\n")
GOOD = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://agora.example.org/id/test/catalog> a dcat:Catalog ; dct:title "Browser test catalogue"@en ;
  dct:description "Loaded by the browser test."@en ; dct:publisher <https://agora.example.org/id/org/stad-antwerpen> .
"""
REFUSED = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
<https://agora.example.org/id/test/untitled> a dcat:Dataset .
"""

# Until app.py includes the pages router, add it when the CLI builds the app; a no-op afterwards.
SERVE = """
import sys
from agora.api import app as appmod, pages
build = appmod.create_app
def create_app(*args, **kwargs):
    app = build(*args, **kwargs)
    if not any(getattr(r, "path", None) == "/resource" for r in app.routes):
        app.include_router(pages.router)
    return app
appmod.create_app = create_app
from agora.api.cli import main
sys.argv = ["agora", "serve", "--port", sys.argv[1], "--no-demo"]
main()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def data_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(demo_dir, data)
    return data


@pytest.fixture(scope="module")
def token(data_dir: Path) -> str:
    done = run_cli("token", "create", "--scope", "write", "--name", "browser-test", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def server(data_dir: Path, token: str) -> Iterator[str]:
    """A real `agora serve` on a free port, over a copy of the demo catalog."""
    port = _free_port()
    log = (data_dir.parent / "server.log").open("wb")
    env = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "AGORA_BASE_URL": BASE_URL}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=REPO, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("agora serve did not become ready:\n" + (data_dir.parent / "server.log").read_text())
        time.sleep(0.2)
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install it with `bash .ci/browser-deps` "
                    "(apt-get install -y chromium); the browser tests do not skip")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[test]'")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 900}, accept_downloads=False)
        ctx.set_default_timeout(15_000)
        yield ctx
        ctx.close()


@pytest.fixture
def page(context: Any, server: str) -> Iterator[Any]:
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    pg.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("AGORA_SCREENSHOTS"):
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def resource_url(server: str, iri: str) -> str:
    return f"{server}/resource?iri={quote(iri, safe='')}"


def test_sparql_editor_runs_a_query_and_shows_a_table(page: Any, server: str, shots: Path) -> None:
    page.goto(server + "/query")
    assert page.locator("#query-hl .tok-kw").count() > 3  # the highlighter ran
    assert page.locator("#query-hl .tok-var").count() > 0 and page.locator("#query-hl .tok-iri").count() > 0
    query = ("PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\n"
             "SELECT ?dataset ?title WHERE {\n  ?dataset a dcat:Dataset ; dct:title ?title .\n"
             "  FILTER(lang(?title) = \"en\")\n} ORDER BY ?title LIMIT 10")
    page.fill("#query", query)
    page.click("#run")
    rows = page.locator("#results table.results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 10
    assert page.locator("#results thead th").all_inner_texts() == ["?dataset", "?title"]
    assert "/resource?iri=" in (page.locator("#results tbody a").first.get_attribute("href") or "")
    csv = page.locator('[data-download="CSV"]').get_attribute("href") or ""
    assert "format=csv" in csv and quote("LIMIT 10", safe="") in csv
    page.fill("#query", "SELECT WHERE")  # a syntax error is shown, not thrown
    page.keyboard.press("Control+Enter")
    page.locator("#results .alert").wait_for()
    page.fill("#query", query)
    page.click("#run")
    rows.first.wait_for()
    page.screenshot(path=str(shots / "sparql-editor.png"), full_page=True)


def test_content_negotiation_from_the_browser(page: Any, server: str) -> None:
    page.goto(resource_url(server, ESCOOTER))
    got = page.evaluate("""async () => {
        const r = await fetch(location.href, {headers: {Accept: 'text/turtle'}});
        const id = await fetch('/id/usecase/e-scooter-b2g-planning', {headers: {Accept: 'application/ld+json'}});
        return [r.headers.get('content-type'), await r.text(), id.headers.get('content-type'), await id.text()];
    }""")
    assert got[0].startswith("text/turtle")
    assert "B2G sharing of e-scooter trip data for urban planning" in got[1] and "agora:dataFlow" in got[1]
    assert got[2].startswith("application/ld+json") and "e-scooter-b2g-planning" in got[3]


def test_validation_upload_of_a_broken_file_shows_the_error(page: Any, server: str, shots: Path) -> None:
    page.goto(server + "/validate")
    page.set_input_files("#file", files=[{"name": "broken.ttl", "mimeType": "text/turtle", "buffer": BROKEN}])
    page.click("#validate-form button[type=submit]")
    heading = page.locator(".error-box h2")
    heading.wait_for()
    assert heading.inner_text().startswith("Syntax error at line 3, column")
    assert "broken ." in page.locator(".excerpt mark").inner_text()
    page.screenshot(path=str(shots / "validate-error.png"), full_page=True)
    page.set_input_files("#file", files=[{"name": "antwerp.ttl", "mimeType": "text/turtle",
                                          "buffer": (REPO / "data" / "antwerp.ttl").read_bytes()}])
    page.select_option("#profile", "dcat-ap-recommended@3.0.1")
    page.click("#validate-form button[type=submit]")
    page.locator(".report .summary").wait_for()
    assert "warning" in page.locator(".report .summary").inner_text()
    page.screenshot(path=str(shots / "validate-report.png"))


def test_curator_loads_and_deletes_a_source(page: Any, server: str, token: str, shots: Path) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server + "/sources")
    page.fill("#token", token)
    page.click("#token-form button[type=submit]")
    page.locator("#token-state", has_text="A token is set").wait_for()

    page.fill("#src-name", "refused-source")
    page.set_input_files("#src-file", files=[{"name": "refused.ttl", "mimeType": "text/turtle", "buffer": REFUSED}])
    page.click("#load-form button[type=submit]")
    page.locator("#curator-report details").first.wait_for()
    assert "refused" in page.locator("#curator-status").inner_text()  # written before the report
    assert "A dataset must have a title" in page.locator("#curator-report").inner_text()
    page.screenshot(path=str(shots / "sources-refused.png"), full_page=True)

    page.fill("#src-name", "browser-test")
    page.set_input_files("#src-file", files=[{"name": "catalog.ttl", "mimeType": "text/turtle", "buffer": GOOD}])
    page.click("#load-form button[type=submit]")
    page.locator("#flash:not([hidden])").wait_for()
    assert "Loaded browser-test" in page.locator("#flash").inner_text()
    assert page.locator('tr[data-source="browser-test"]').count() == 1
    assert httpx.get(server + "/api/sources/browser-test").status_code == 200

    page.click('[data-delete="browser-test"]')
    page.wait_for_function("document.getElementById('flash').textContent.includes('Deleted browser-test')")
    assert page.locator('tr[data-source="browser-test"]').count() == 0
    assert httpx.get(server + "/api/sources/browser-test").status_code == 404
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "sources.png"), full_page=True)


def test_from_a_dataset_to_its_publisher_and_another_language(page: Any, server: str, shots: Path) -> None:
    page.goto(resource_url(server, TRIPS) + "&lang=en")
    assert page.locator("h1").inner_text() == "Shared e-scooter trips (Voltway)"
    page.screenshot(path=str(shots / "dataset.png"), full_page=True)
    page.locator("#ds-h ~ dl.facts").get_by_role("link", name="Voltway Scooters BV").click()
    page.wait_for_url("**/resource?iri=*voltway*")
    assert page.locator("h1").inner_text() == "Voltway Scooters BV"
    assert page.get_by_role("link", name="Shared e-scooter trips (Voltway)").count() > 0  # what it publishes
    page.get_by_role("navigation", name="Language of labels").get_by_role("link", name="Nederlands").click()
    page.get_by_role("link", name="Ritten met deelsteps (Voltway)").first.wait_for()
    page.goto(resource_url(server, TRIPS))  # the cookie remembers the choice
    assert page.locator("h1").inner_text() == "Ritten met deelsteps (Voltway)"


def test_screenshots_of_the_main_pages(page: Any, server: str, shots: Path) -> None:
    page.goto(server + "/lang?set=en&next=/")
    page.screenshot(path=str(shots / "home.png"), full_page=True)
    page.goto(resource_url(server, ESCOOTER))
    page.locator("svg.flows").wait_for()
    page.screenshot(path=str(shots / "usecase.png"), full_page=True)
    page.locator("figure.diagram").screenshot(path=str(shots / "usecase-flows.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(resource_url(server, ESCOOTER))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows at phone width
    page.screenshot(path=str(shots / "usecase-phone.png"))


# -- home page type-ahead -----------------------------------------------------------------------------
def test_type_ahead_suggests_names_and_the_keyboard_chooses_one(page: Any, server: str, shots: Path) -> None:
    page.goto(server + "/lang?set=en&next=/")
    box = page.locator("#hero-q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    box.press_sequentially("kø", delay=30)
    listbox = page.get_by_role("listbox", name="Search the catalog")
    listbox.wait_for()
    options = listbox.get_by_role("option")
    assert box.get_attribute("aria-expanded") == "true" and box.get_attribute("aria-controls") == "hero-q-list"
    assert options.count() >= 3 and "København" in options.first.inner_text() and "City" in options.first.inner_text()
    page.screenshot(path=str(shots / "home-type-ahead.png"))
    box.press("ArrowDown")
    first_id = options.nth(0).get_attribute("id")
    assert box.get_attribute("aria-activedescendant") == first_id
    assert options.nth(0).get_attribute("aria-selected") == "true"
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    box.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first_id
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    box.press("ArrowDown")  # reopens on the first suggestion
    assert box.get_attribute("aria-activedescendant") == first_id
    box.press("Enter")
    page.wait_for_url("**/search?filter=city*")
    assert "place%2Fcopenhagen" in page.url and page.locator("li.hit").count() > 5


def test_type_ahead_leaves_the_plain_search_to_enter(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.locator("#hero-q").press_sequentially("air q", delay=30)
    page.get_by_role("listbox").get_by_role("option").first.wait_for()
    page.locator("#hero-q").press("Enter")  # no suggestion chosen: the form searches
    page.wait_for_url("**/search?q=air+q*")
    assert page.locator("li.hit").count() > 0
    page.goto(server + "/")
    page.locator("#hero-q").press_sequentially("volt", delay=30)
    option = page.get_by_role("option", name="Voltway Scooters BV Organisation")
    option.click()
    page.wait_for_url("**/resource?iri=*voltway*")
    assert page.locator("h1").inner_text() == "Voltway Scooters BV"


# -- quality ------------------------------------------------------------------------------------------
def test_quality_overview_and_a_dataset_with_what_to_fix(page: Any, server: str, shots: Path) -> None:
    page.goto(server + "/quality")
    rows = page.locator("table.quality-table tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 5 and rows.first.locator("svg[role=img]").count() == 1
    assert page.locator("svg.dims:not(.compact) .dim-label").all_text_contents() == [
        "Findability", "Accessibility", "Interoperability", "Reusability", "Contextuality"]
    page.screenshot(path=str(shots / "quality.png"), full_page=True)
    page.locator("table.lowest tbody a").first.click()
    page.wait_for_url("**/quality?dataset=*")
    assert page.locator("h1").inner_text().startswith("Quality of")
    assert page.locator("table.fix-table tbody tr").count() > 0
    page.screenshot(path=str(shots / "quality-dataset.png"), full_page=True)
    page.goto(resource_url(server, TRIPS))
    page.get_by_role("link", name="Metadata quality", exact=True).click()
    page.wait_for_url("**/quality?dataset=*deelsteps*")
    assert "Shared e-scooter trips (Voltway)" in page.locator("h1").inner_text()


# -- the edit form ------------------------------------------------------------------------------------
def _open_edit(page: Any, server: str, iri: str) -> None:
    page.goto(f"{server}/edit?iri={quote(iri, safe='')}")
    page.locator("#edit-form").wait_for()


def test_edit_form_saves_a_change_from_the_dataset_page(page: Any, server: str, token: str, shots: Path) -> None:
    page.goto(resource_url(server, TRIPS) + "&lang=en")
    page.locator("#ds-h ~ .resource-actions").get_by_role("link", name="Edit").click()
    page.wait_for_url("**/edit?iri=*")
    assert page.locator("#title-en").input_value() == "Shared e-scooter trips (Voltway)"
    page.fill("#title-en", "Shared e-scooter trips (Voltway, edited in the browser)")
    page.fill("#keywords-en", "e-scooter trips, micromobility")
    page.check("input[name=theme][value$='/ENVI']")
    page.fill("#edit-token", token)
    page.screenshot(path=str(shots / "edit-form.png"), full_page=True)
    page.click("#edit-form button[type=submit]")
    page.locator("#saved").wait_for()
    assert page.locator("#title-en").input_value() == "Shared e-scooter trips (Voltway, edited in the browser)"
    page.locator("#saved").get_by_role("link", name="See the dataset's page").click()
    assert page.locator("h1").inner_text() == "Shared e-scooter trips (Voltway, edited in the browser)"
    assert page.get_by_role("link", name="Environment").count() > 0


def test_edit_form_shows_violations_and_saves_nothing(page: Any, server: str, token: str, shots: Path) -> None:
    iri = BASE_URL + "/id/antwerp/dataset/verkeerstellingen"
    version = httpx.get(f"{server}/api/sources/antwerp").json()["version"]
    _open_edit(page, server, iri)
    for field in page.locator("input[name^='title.']").all():
        if field.input_value():  # the languages it has titles in are open; the others are empty
            field.fill("")
    page.fill("#edit-token", token)
    page.click("#edit-form button[type=submit]")
    error = page.locator("#form-error")
    error.wait_for()
    assert "break the source's shapes" in error.locator("h2").inner_text()
    row = error.locator("table.violations tbody tr").first.inner_text()
    assert iri in row and "dct:title" in row and "must have a title" in row
    page.screenshot(path=str(shots / "edit-violation.png"), full_page=True)
    assert httpx.get(f"{server}/api/sources/antwerp").json()["version"] == version


def test_edit_form_detects_a_change_made_meanwhile(page: Any, server: str, token: str) -> None:
    iri = BASE_URL + "/id/amsterdam/dataset/luchtkwaliteit-meetstations"
    _open_edit(page, server, iri)
    graph = httpx.get(f"{server}/api/sources/amsterdam").json()["graph"]
    update = (f'WITH <{graph}> DELETE {{ <{iri}> <http://purl.org/dc/terms/title> ?t }} INSERT {{ <{iri}> '
              f'<http://purl.org/dc/terms/title> "Air quality (changed meanwhile)"@en }} WHERE {{ <{iri}> '
              '<http://purl.org/dc/terms/title> ?t FILTER(lang(?t) = "en") }')
    r = httpx.post(f"{server}/sparql", content=update, headers={"Content-Type": "application/sparql-update",
                                                                "Authorization": f"Bearer {token}"})
    assert r.status_code == 204, r.text
    page.fill("#title-en", "Air quality (mine)")
    page.fill("#edit-token", token)
    page.click("#edit-form button[type=submit]")
    page.locator("#form-error table.conflict").wait_for()
    assert page.locator("#form-error h2").inner_text() == "Changed by someone else"
    row = page.locator("table.conflict tbody tr").first.inner_text()
    assert "Air quality (changed meanwhile)" in row and "Air quality (mine)" in row
    assert page.locator("#title-en").input_value() == "Air quality (mine)"
    assert page.locator("#edit-token").input_value() == token  # kept for this tab by the page's script
    page.click("#edit-form button[type=submit]")  # saving again, knowingly, replaces their title
    page.locator("#saved").wait_for()
    assert page.locator("#title-en").input_value() == "Air quality (mine)"


# -- accessibility and phone width --------------------------------------------------------------------
def main_pages(server: str) -> dict[str, str]:
    return {
        "home": server + "/",
        "search": server + "/search?q=traffic+counts",
        "dataset": resource_url(server, TRIPS),
        "use case": resource_url(server, ESCOOTER),
        "organisation": resource_url(server, BASE_URL + "/id/org/stad-antwerpen"),
        "validate": server + "/validate",
        "query": server + "/query",
        "sources": server + "/sources",
        "quality": server + "/quality",
        "quality of a dataset": server + "/quality?dataset=" + quote(TRIPS, safe=""),
        "edit": server + "/edit?iri=" + quote(TRIPS, safe=""),
    }


def test_main_pages_have_no_serious_accessibility_violations(page: Any, server: str) -> None:
    """axe-core (bundled with axe-playwright-python, no download) on every main page, as a visitor sees it."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for name, url in main_pages(server).items():
        page.goto(url)
        page.wait_for_load_state("load")
        results = axe.run(page, options={"resultTypes": ["violations"]})
        for v in results.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
                found.append(f"{name}: {v['id']} ({v['impact']}) {v['help']} at {targets}")
    page.goto(server + "/")
    page.locator("#hero-q").press_sequentially("tra", delay=20)
    page.get_by_role("listbox").get_by_role("option").first.wait_for()
    page.locator("#hero-q").press("ArrowDown")
    for v in axe.run(page).response["violations"]:  # the open type-ahead list too
        if v["impact"] in ("serious", "critical"):
            found.append(f"type-ahead: {v['id']} ({v['impact']}) {v['help']}")
    assert not found, "\n".join(found)


def test_main_pages_fit_a_phone_without_horizontal_scrolling(page: Any, server: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    wide = {}
    for name, url in main_pages(server).items():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            wide[name] = width
    assert not wide, f"pages wider than the 375 px viewport: {wide}"
