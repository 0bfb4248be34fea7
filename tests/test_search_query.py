"""Search features on the demo catalog: languages, stemming, typos, prefixes, ranking, semantic
expansion and its explanations, facets, filters, spatial and temporal filters, the policy hook,
more-like-this and use cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agora.kg.search.geo import parse_bbox
from agora.kg.search.params import parse_filters, parse_period
from agora.kg.search.results import SearchRequest, SearchResponse
from agora.kg.search.service import NotIndexed, SearchService

ID = "https://agora.example.org/id/"


@pytest.fixture(scope="module")
def search(demo_search: SearchService) -> SearchService:
    return demo_search


def run(service: SearchService, q: str = "", **kw: object) -> SearchResponse:
    kw.setdefault("types", ["dataset"])
    kw.setdefault("facets", [])
    return service.search(SearchRequest(q=q, **kw))  # type: ignore[arg-type]


def iris(response: SearchResponse) -> list[str]:
    return [h.iri.removeprefix(ID) for h in response.results]


def test_every_language_with_its_own_stemming(search: SearchService) -> None:
    assert "copenhagen/dataset/trafiktaelling" in iris(run(search, "trafiktællinger", expand=False))  # da plural
    assert "malmo/dataset/trafikfloden" in iris(run(search, "trafikflöden", expand=False))  # sv plural
    assert "antwerp/dataset/verkeerstellingen" in iris(run(search, "verkeerstelling", expand=False))  # nl singular
    assert "florence/dataset/qualita-aria" in iris(run(search, "qualità aria", expand=False))
    assert "copenhagen/dataset/luftkvalitet-gadeniveau" in iris(run(search, "luftkvaliteten", expand=False))
    # Accents folded: typed without them, found with them.
    assert "malmo/dataset/oresundsbron-passager" in iris(run(search, "oresundsbron", expand=False))


def test_typos_are_corrected_and_reported(search: SearchService) -> None:
    response = run(search, "luchtkwalitiet", expand=False)
    assert "amsterdam/dataset/luchtkwaliteit-meetstations" in iris(response)
    assert any("luchtkwaliteit" in w for w in response.warnings)
    assert "copenhagen/dataset/cykeltaelling" in iris(run(search, "bicycel counts", expand=False))


def test_prefix_matching_for_type_ahead(search: SearchService) -> None:
    assert "amsterdam/dataset/parkeergarages-bezetting" in iris(run(search, "parkeerg", expand=False))
    assert run(search, "parkeerg ", expand=False, fuzzy=False).total == 0  # a finished word is not a prefix


def test_titles_and_keywords_outrank_descriptions(search: SearchService) -> None:
    ranked = iris(run(search, "trees", expand=False))
    permits = ranked.index("amsterdam/dataset/omgevingsvergunningen")  # mentions tree felling in passing
    for tree_register in ("amsterdam/dataset/bomenbestand", "antwerp/dataset/bomen", "copenhagen/dataset/gadetraeer",
                          "malmo/dataset/trad-och-gronytor", "florence/dataset/alberature"):
        assert ranked.index(tree_register) < permits


def test_semantic_expansion_crosses_cities_and_explains_itself(search: SearchService) -> None:
    plain = iris(run(search, "trafiktælling", expand=False))
    expanded = run(search, "trafiktælling")
    found = iris(expanded)
    assert "florence/dataset/flussi-traffico" not in plain
    for iri in ("amsterdam/dataset/verkeersintensiteiten", "florence/dataset/flussi-traffico",
                "malmo/dataset/trafikfloden", "antwerp/dataset/verkeerstellingen",
                "albertslund/dataset/trafikmaalinger"):
        assert iri in found
    florence = next(h for h in expanded.results if h.iri.endswith("flussi-traffico"))
    mapping = next(r for r in florence.why if r.kind == "mapping")
    assert mapping.matched == "trafiktælling"
    assert mapping.concept == ID + "florence/concept/flussi-di-traffico"
    assert [s.relation for s in mapping.via] == ["closeMatch"]
    copenhagen = next(h for h in expanded.results if h.iri.endswith("copenhagen/dataset/trafiktaelling"))
    assert {r.kind for r in copenhagen.why} >= {"text", "concept"}
    assert any(c.concept == ID + "copenhagen/concept/trafiktaelling" and c.weight == 1.0 for c in expanded.expansion)


def test_expansion_follows_narrower_concepts(search: SearchService) -> None:
    response = run(search, "skybrud")
    rainfall = next(h for h in response.results if h.iri.endswith("copenhagen/dataset/nedboer"))
    assert any(r.kind == "mapping" and any(s.relation == "narrower" for s in r.via) for r in rainfall.why)


def test_the_traffic_counts_example(search: SearchService) -> None:
    found = iris(run(search, "traffic counts"))
    assert "amsterdam/dataset/verkeersintensiteiten" in found
    assert "florence/dataset/flussi-traffico" in found


def test_facet_counts_agree_with_filters(search: SearchService) -> None:
    response = run(search, "", facets=["sector", "country", "format", "licence", "type"], facet_size=50)
    assert response.total == 105
    assert {v.value: v.count for v in response.facets["type"]} == {"dataset": 105}
    for facet in ("sector", "country", "format"):
        for value in response.facets[facet][:4]:
            assert run(search, "", filters={facet: [value.value]}).total == value.count
    labels = {v.value.rsplit("/", 1)[-1]: v.label for v in response.facets["country"]}
    assert labels["DNK"] in ("Denmark", "Danmark")
    # Every dataset has a country; the Øresund Bridge traffic has two.
    assert sum(v.count for v in response.facets["country"]) == 106


def test_filters_accept_iris_codes_and_labels(search: SearchService) -> None:
    by_iri = run(search, "", filters={"sector": ["https://w3id.org/agora/sector/mobility"]}).total
    assert by_iri > 0
    assert run(search, "", filters={"sector": ["mobility"]}).total == by_iri
    assert run(search, "", filters={"sector": ["Mobilità"]}).total == by_iri
    amsterdam = run(search, "", filters={"publisher": ["Gemeente Amsterdam"]}, size=50)
    assert amsterdam.total > 0 and all(i.startswith("amsterdam/") for i in iris(amsterdam))
    both = run(search, "", filters=parse_filters(["country=DNK,SWE", "format=CSV"]), size=100)
    assert both.total > 0 and all(i.startswith(("copenhagen/", "albertslund/", "malmo/")) for i in iris(both))
    assert run(search, "", filters={"licence": ["CC0"]}).total > 0
    assert run(search, "", filters={"city": ["nowhere-at-all"]}).warnings


def test_spatial_filters(search: SearchService) -> None:
    florence = run(search, "", bbox=parse_bbox("11.1,43.7,11.4,43.9"), size=100)
    assert florence.total == 18 and all(i.startswith("florence/") for i in iris(florence))
    near_copenhagen = iris(run(search, "", near=(55.6761, 12.5683, 5.0), size=100))
    covering = set(iris(run(search, "", filters={"city": ["Copenhagen", "Nordhavn", "oresund-region"]}, size=100)))
    assert "copenhagen/dataset/trafiktaelling" in near_copenhagen
    assert set(near_copenhagen) == covering  # the city, its Nordhavn district, or the region around it
    assert "malmo/dataset/luftkvalitet" not in near_copenhagen  # Malmö is 25 km away
    region = iris(run(search, "", within="oresund-region", size=100))
    assert any(i.startswith("malmo/") for i in region) and any(i.startswith("copenhagen/") for i in region)
    assert any(i.startswith("albertslund/") for i in region)
    assert not any(i.startswith(("amsterdam/", "florence/")) for i in region)
    assert set(iris(run(search, "", within="Øresund Region (Greater Copenhagen)", size=100))) == set(region)


def test_temporal_filters(search: SearchService) -> None:
    only_2023 = iris(run(search, "", period=parse_period("2023-01-01/2023-12-31"), size=100))
    assert "amsterdam/dataset/hittekaart" in only_2023  # covers 2023
    assert "amsterdam/dataset/geluidskaart" not in only_2023  # covers 2022 only
    recent = iris(run(search, "", since=datetime(2025, 6, 1, tzinfo=UTC), size=100))
    assert "amsterdam/dataset/parkeergarages-bezetting" in recent  # modified 2025-06-30
    assert "amsterdam/dataset/geluidskaart" not in recent  # modified 2023-07-01
    newest_first = run(search, "", sort="modified", size=3)
    assert len(newest_first.results) == 3


def test_usable_hook_restricts_datasets_only(search: SearchService) -> None:
    allowed = {ID + "copenhagen/dataset/trafiktaelling"}
    response = run(search, "traffic", usable=allowed, types=None, size=100)
    datasets = [h.iri for h in response.results if h.type == "dataset"]
    assert datasets == [ID + "copenhagen/dataset/trafiktaelling"]
    assert any(h.type != "dataset" for h in response.results)
    assert run(search, "traffic", usable=set()).total == 0
    search.usable_provider = lambda req: allowed
    try:
        assert iris(run(search, "traffic")) == ["copenhagen/dataset/trafiktaelling"]
    finally:
        search.usable_provider = None


def test_result_titles_in_the_wanted_language_and_other_types(search: SearchService) -> None:
    italian = run(search, "flussi di traffico", lang="it", size=1)
    assert italian.results[0].title == "Flussi di traffico – spire di rilevamento"
    english = run(search, "flussi di traffico", size=1)
    assert english.results[0].title == "Traffic flows – induction-loop detectors"
    assert english.results[0].snippet
    orgs = run(search, "Amsterdam", types=["stakeholder"], size=50)
    assert orgs.total > 0 and all(h.type == "stakeholder" for h in orgs.results)
    kinds = {h.type for h in run(search, "mobility", types=None, size=100).results}
    assert {"dataset", "concept", "usecase"} <= kinds


def test_paging(search: SearchService) -> None:
    first = run(search, "water", size=5)
    second = run(search, "water", size=5, page=2)
    assert first.total == second.total > 5
    assert not set(iris(first)) & set(iris(second))


def test_more_like_this_and_use_cases(search: SearchService) -> None:
    similar = search.similar(ID + "copenhagen/dataset/trafiktaelling", size=8)
    found = iris(similar)
    assert "copenhagen/dataset/trafiktaelling" not in found
    assert {"malmo/dataset/trafikfloden", "amsterdam/dataset/verkeersintensiteiten"} <= set(found)
    assert any(r.kind == "similar" for h in similar.results for r in h.why)
    cases = search.use_cases(ID + "copenhagen/dataset/trafiktaelling")
    assert ID + "usecase/oresund-cross-border-traffic" in [h.iri for h in cases.results]
    with pytest.raises(NotIndexed):
        search.similar("https://example.org/not-there")
