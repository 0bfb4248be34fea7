"""Harvesting real HTTP sources on 127.0.0.1: DCAT with Hydra paging, CKAN, and sources that misbehave.

Each record is validated on its own: valid ones go in, invalid ones go to quarantine with their
results. A harvest that fails (HTTP errors, endless paging, too large, too slow, refused
addresses) changes nothing: the previous version stays current and no draft graph is left.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import pytest

from agora.kg.changes import ChangeFeed
from agora.kg.harvest.fetch import FetchLimits
from agora.kg.harvest.run import harvest
from agora.kg.harvest.sources import HarvestRegistry
from agora.kg.opsdb import OpsDB
from agora.kg.store import AgoraStore

from .harvest_servers import ckan_packages, ckan_server, dcat_datasets, dcat_pages, dcat_server, hostile_server

FAST = FetchLimits(connect_timeout=2, read_timeout=2, retries=2, backoff=0.01, max_bytes=2_000_000)


@dataclass
class Harvesting:
    store: AgoraStore
    registry: HarvestRegistry
    feed: ChangeFeed

    def run(self, name: str, limits: FetchLimits = FAST) -> Any:
        return harvest(self.store, self.registry, self.feed, name, limits=limits)

    def snapshot(self, name: str) -> tuple[int | None, int]:
        info = self.store.get(name)
        graphs = {g.value for g in self.store.ox.named_graphs() if isinstance(g, ox.NamedNode)}
        return (info.current.number if info else None), len(graphs)


pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso


@pytest.fixture
def h(store: AgoraStore) -> Iterator[Harvesting]:
    store.settings.allow_hosts = ["127.0.0.1"]
    ops = OpsDB(store.settings.ops_db_path)
    yield Harvesting(store, HarvestRegistry(ops), ChangeFeed(store, ops))


def _titles(store: AgoraStore, name: str) -> set[str]:
    g = store.require(name).physical
    return {q.subject.value for q in store.ox.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/ns/dcat#Dataset"), g)}


@pytest.mark.parametrize("fmt,ctype", [("turtle", "text/turtle"), ("json-ld", "application/ld+json")])
def test_dcat_with_hydra_paging_in_turtle_and_json_ld(h: Harvesting, fmt: str, ctype: str) -> None:
    datasets = dcat_datasets(25)
    with dcat_server(lambda base: dcat_pages(datasets, per_page=10, base=base, fmt=fmt), content_type=ctype) as url:
        h.registry.add("city", f"{url}/catalog", "dcat")
        run = h.run("city")
        assert run.status == "ok", run.error
        assert (run.pages, run.records, run.rejected, run.added) == (3, 25, 0, 25)
        assert len(url.paths()) == 3
    assert _titles(h.store, "city") == {f"{url}/dataset/{i}" for i in range(1, 26)}
    # Paging controls are not part of the harvested data.
    hydra = h.store.ox.query("ASK { ?s ?p ?o FILTER(STRSTARTS(STR(?p), 'http://www.w3.org/ns/hydra/')) }",
                             default_graph=[h.store.require("city").physical])
    assert not bool(hydra)


def test_invalid_records_go_to_quarantine_with_their_report_and_the_rest_goes_in(h: Harvesting) -> None:
    datasets = dcat_datasets(30, invalid_every=5)
    with dcat_server(lambda base: dcat_pages(datasets, per_page=10, base=base)) as url:
        h.registry.add("city", f"{url}/catalog", "dcat")
        run = h.run("city")
    assert run.status == "ok", run.error
    assert (run.records, run.rejected) == (24, 6)
    assert any("title" in reason.lower() for reason in run.reasons)
    assert _titles(h.store, "city") == {f"{url}/dataset/{i}" for i in range(1, 31) if i % 5}
    from agora.kg.harvest.service import HarvestService

    quarantined = HarvestService(h.store, h.registry.ops).quarantine("city")
    assert {q["record"] for q in quarantined} == {f"{url}/dataset/{i}" for i in (5, 10, 15, 20, 25, 30)}
    for q in quarantined:
        assert {r["path"] for r in q["results"]} >= {"http://purl.org/dc/terms/title"}
        assert f"<{q['record']}>" in q["turtle"]  # the record itself, so the curator can fix it
    # The catalog no longer lists what it does not hold, and what it holds conforms.
    listed = {q.object.value for q in h.store.ox.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/ns/dcat#dataset"), None, h.store.require("city").physical)}
    assert listed == _titles(h.store, "city")
    assert h.store.require("city").current.violations == 0
    # The run is PROV-O provenance of the version it generated, with its counts and reasons.
    prov = list(h.store.ox.query(f"""
        PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX agora: <https://w3id.org/agora/ns#>
        SELECT ?records ?rejected ?reason WHERE {{ GRAPH <urn:agora:meta> {{
          <{h.store.require("city").physical.value}> prov:wasGeneratedBy ?run .
          ?run a agora:HarvestRun ; prov:used <{url}/catalog> ; agora:recordCount ?records ;
               agora:rejectedCount ?rejected ; agora:rejectionReason ?reason }} }}"""))
    assert {(int(r["records"].value), int(r["rejected"].value)) for r in prov} == {(24, 6)}


def test_ckan_portal_paged_through_the_action_api_and_mapped_to_dcat_ap(h: Harvesting) -> None:
    packages = ckan_packages(23, invalid_every=10)
    with ckan_server(packages, page_size_cap=10) as url:
        h.registry.add("tartu", url, "ckan", options={"page_size": 10})
        run = h.run("tartu")
        searches = [p for p in url.paths() if "package_search" in p]
    assert run.status == "ok", run.error
    assert (run.pages, run.records, run.rejected) == (3, 21, 2)
    assert len(searches) == 3
    titles = {q.object.value for q in h.store.ox.quads_for_pattern(
        None, ox.NamedNode("http://purl.org/dc/terms/title"), None, h.store.require("tartu").physical)}
    assert packages[0]["title"] in titles


def test_re_harvest_reports_exactly_what_changed(h: Harvesting) -> None:
    datasets = dcat_datasets(12)
    with dcat_server(lambda base: dcat_pages(current, per_page=5, base=base)) as url:
        current = datasets
        h.registry.add("city", f"{url}/catalog", "dcat")
        assert h.run("city").added == 12
        current = [d.replace('"Dataset 3"', '"Dataset three"') for d in datasets[:11]]
        again = h.run("city")
    assert (again.added, again.changed, again.removed) == (0, 1, 1)
    changes, _cursor = h.feed.since("0")
    assert [(c.record.rsplit("/", 1)[-1], c.change) for c in changes[-2:]] == [("3", "changed"), ("12", "removed")]


@pytest.mark.parametrize("kind,message", [
    ("endless", "paging did not end"),
    ("error-midway", "HTTP 500"),
    ("slow", "timed out"),
    ("huge", "limit"),
    ("redirect-private", "private"),
])
def test_a_failing_source_changes_nothing(h: Harvesting, kind: str, message: str) -> None:
    datasets = dcat_datasets(3)
    with dcat_server(lambda base: dcat_pages(datasets, per_page=10, base=base)) as good:
        h.registry.add("city", f"{good}/catalog", "dcat", options={"max_pages": 20})
        assert h.run("city").status == "ok"
    before = h.snapshot("city")
    triples = h.store.require("city").current.triples
    with hostile_server(kind) as url:
        h.registry.add("city", f"{url}/catalog", "dcat", options={"max_pages": 20}, replace=True)
        run = h.run("city")
    assert run.status == "failed"
    assert message in run.error
    assert h.snapshot("city") == before
    assert h.store.require("city").current.triples == triples
    assert h.registry.last_run("city").status == "failed"


def test_transient_errors_are_retried_and_wrong_content_types_are_read(h: Harvesting) -> None:
    with hostile_server("flaky") as url:
        h.registry.add("flaky", f"{url}/catalog", "dcat")
        run = h.run("flaky")
        assert run.status == "ok", run.error
        assert len(url.paths()) >= 2  # the first answer was a 503
    with hostile_server("wrong-type") as url:
        h.registry.add("typed", f"{url}/catalog", "dcat")
        run = h.run("typed")
    assert run.status == "ok", run.error
    assert run.records > 0


def test_private_addresses_are_refused_unless_allowed(h: Harvesting) -> None:
    h.store.settings.allow_hosts = []
    with dcat_server(lambda base: dcat_pages(dcat_datasets(2), per_page=10, base=base)) as url:
        h.registry.add("city", f"{url}/catalog", "dcat")
        run = h.run("city")
    assert run.status == "failed" and "loopback" in run.error
    assert h.store.get("city") is None


def test_an_empty_catalog_is_refused_unless_allowed(h: Harvesting) -> None:
    with dcat_server(lambda base: dcat_pages([], per_page=10, base=base)) as url:
        h.registry.add("city", f"{url}/catalog", "dcat")
        assert "no datasets" in h.run("city").error
        h.registry.add("city", f"{url}/catalog", "dcat", options={"allow_empty": True}, replace=True)
        assert h.run("city").status == "ok"
