"""Search quality on a labelled query set (tests/search_queries.json): for every query, the demo
datasets a person judged relevant by reading the data. Reports precision@10 and recall@10 with and
without semantic expansion, and holds the targets: recall@10 >= 0.9 with expansion, and expansion
measurably better than plain text search.

recall@10 = relevant found in the top 10 / min(10, number relevant); precision@10 = relevant found
in the top 10 / 10 (so a query with three relevant datasets can reach at most 0.3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agora.kg.search.results import SearchRequest
from agora.kg.search.service import SearchService

QUERIES = Path(__file__).with_name("search_queries.json")


@pytest.fixture(scope="module")
def search(demo_search: SearchService) -> SearchService:
    return demo_search


def _evaluate(service: SearchService, queries: list[dict], *, expand: bool) -> tuple[float, float, list[str]]:
    precision = recall = 0.0
    misses = []
    for item in queries:
        response = service.search(SearchRequest(q=item["q"], types=["dataset"], size=10, facets=[], expand=expand))
        top = [h.iri for h in response.results]
        relevant = set(item["relevant"])
        found = len(relevant & set(top))
        precision += found / 10
        recall += found / min(10, len(relevant))
        if found < min(10, len(relevant)):
            misses.append(f"{item['q']!r} ({item['lang']}): {found}/{min(10, len(relevant))}")
    return precision / len(queries), recall / len(queries), misses


def test_the_query_set_is_broad_enough() -> None:
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    assert len(queries) >= 40
    assert len({q["lang"] for q in queries}) >= 4
    assert {"cross-city", "cross-sector"} <= {q["kind"] for q in queries}


def test_precision_and_recall_with_and_without_expansion(search: SearchService) -> None:
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    p_plain, r_plain, _ = _evaluate(search, queries, expand=False)
    p_exp, r_exp, misses = _evaluate(search, queries, expand=True)
    print(f"\nsearch quality on {len(queries)} labelled queries ({len({q['lang'] for q in queries})} languages):")
    print(f"  plain text:          P@10 = {p_plain:.3f}   R@10 = {r_plain:.3f}")
    print(f"  semantic expansion:  P@10 = {p_exp:.3f}   R@10 = {r_exp:.3f}")
    print("  below full recall with expansion: " + "; ".join(misses))
    assert r_exp >= 0.9
    assert r_exp >= r_plain + 0.1
    assert p_exp > p_plain
