"""The pure parts of the GraphQL facade: keyset windows, cursors, language choice, Accept-Language."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from agora.api.graphql.context import AgoraContext, accept_languages
from agora.api.graphql.paging import PagingError, decode_cursor, encode_cursor, make_slice, page_of
from agora.api.graphql.terms import pick_language
from agora.kg.errors import BadInput
from agora.kg.graph_access import iri_ref, window

ITEMS = [f"urn:x:{i:02d}" for i in range(10)]


def test_keyset_windows() -> None:
    assert window(ITEMS, 3) == ITEMS[:3]
    assert window(ITEMS, 3, after="urn:x:02") == ITEMS[3:6]
    assert window(ITEMS, 3, after="urn:x:025") == ITEMS[3:6]  # a cursor whose item is gone still works
    assert window(ITEMS, 3, before="urn:x:05", backward=True) == ITEMS[2:5]
    assert window(ITEMS, 3, backward=True) == ITEMS[7:]
    assert window(ITEMS, 5, after="urn:x:02", before="urn:x:05") == ITEMS[3:5]
    assert window(ITEMS, 3, after="urn:x:09") == []


def test_pages_and_flags() -> None:
    page, has_next, has_prev = page_of(ITEMS, make_slice(4, None, None, None))
    assert page == ITEMS[:4] and has_next and not has_prev
    page, has_next, has_prev = page_of(ITEMS, make_slice(4, encode_cursor(ITEMS[7]), None, None))
    assert page == ITEMS[8:] and not has_next and has_prev
    page, has_next, has_prev = page_of(ITEMS, make_slice(None, None, 2, encode_cursor(ITEMS[2])))
    assert page == ITEMS[:2] and has_next and not has_prev


def test_cursors() -> None:
    assert decode_cursor(encode_cursor("https://example.org/a?b=c#d")) == "https://example.org/a?b=c#d"
    for bad in ("", "!!!", encode_cursor("x")[:-3] + "???"):
        with pytest.raises(PagingError):
            decode_cursor(bad)


def test_iris_in_queries_are_checked() -> None:
    assert iri_ref("https://example.org/x") == "<https://example.org/x>"
    for bad in ("https://example.org/x> } DROP ALL { <a", "no spaces allowed", "https://x/{y}"):
        with pytest.raises(BadInput):
            iri_ref(bad)


def test_language_choice() -> None:
    values = [ox.Literal("Kopenhagen", language="de"), ox.Literal("Copenhagen", language="en"),
              ox.Literal("København", language="da")]
    assert pick_language(values, ["da"]).value == "København"
    assert pick_language(values, ["fr", "en"]).value == "Copenhagen"
    assert pick_language(values, ["fr"]).value == "Kopenhagen"  # any, stably (the first)
    assert pick_language([ox.Literal("untagged"), *values], ["fr"]).value == "untagged"
    assert pick_language([ox.Literal("Brussel", language="nl-BE")], ["nl"]).value == "Brussel"


def test_accept_language() -> None:
    assert accept_languages("da, en-GB;q=0.8, en;q=0.7, *;q=0.1") == ["da", "en-gb", "en"]
    assert accept_languages("sv;q=0.2, nl") == ["nl", "sv"]
    assert accept_languages(None) == accept_languages("") == []
    ctx = AgoraContext(store=None, languages=["nl-be"])  # type: ignore[arg-type]
    assert ctx.preferences("it") == ["it", "nl-be", "nl", "en"]
