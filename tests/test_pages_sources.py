"""The sources pages show each harvest: last run on the list, runs and quarantine on the source's page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.kg.harvest.run import harvest
from agora.kg.store import AgoraStore

from .harvest_servers import dcat_datasets, dcat_pages, dcat_server


@pytest.fixture
def client(store: AgoraStore) -> Iterator[TestClient]:
    store.settings.allow_hosts = ["127.0.0.1"]
    app = create_app(store.settings, store=store, load_demo=False)
    with TestClient(app) as c:
        yield c


def test_a_harvested_source_shows_its_runs_and_quarantine(client: TestClient, store: AgoraStore) -> None:
    svc = client.app.state.harvest  # type: ignore[attr-defined]
    with dcat_server(lambda base: dcat_pages(dcat_datasets(10, invalid_every=4), per_page=5, base=base)) as url:
        svc.registry.add("city", f"{url}/catalog", "dcat", schedule="0 3 * * *")
        run = harvest(store, svc.registry, svc.feed, "city")
    assert (run.records, run.rejected) == (8, 2)

    listing = client.get("/sources").text
    assert '<a href="/sources/city">city</a>' in listing
    assert "8 records, 2 rejected" in listing and 'href="/sources/city#quarantine"' in listing
    assert 'data-harvest="city"' in listing

    page = client.get("/sources/city")
    assert page.status_code == 200
    html = page.text
    assert f"<code>{url}/catalog</code>" in html and "<code>0 3 * * *</code>" in html
    assert ">manual<" in html  # the run's trigger
    for i in (4, 8):
        assert f"{url}/dataset/{i}" in html  # each quarantined record, with its results and its RDF
    assert html.count('class="shape-group sev-violation"') == 2


def test_an_unknown_source_page_is_404(client: TestClient) -> None:
    assert client.get("/sources/nowhere").status_code == 404
