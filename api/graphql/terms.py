"""Turning RDF terms into GraphQL values: lexical forms, IRIs and language choice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox


def is_literal(term: Any) -> bool:
    """Literals, including restored ones with upper-case language tags (fidelity.CasedLangLiteral)."""
    return not isinstance(term, ox.NamedNode | ox.BlankNode) and hasattr(term, "value")


def language(term: Any) -> str | None:
    return getattr(term, "language", None) or None


def lexical(term: Any) -> str | None:
    """The loaded lexical form of a literal, the IRI of a named node, nothing for a blank node."""
    if term is None or isinstance(term, ox.BlankNode):
        return None
    return term.value


def iri(term: Any) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def iris(terms: Sequence[Any]) -> list[str]:
    return [t.value for t in terms if isinstance(t, ox.NamedNode)]


def _matches(tag: str | None, wanted: str) -> bool:
    if tag is None:
        return False
    tag = tag.lower()
    return tag == wanted or tag.startswith(wanted + "-")


def pick_language(values: Sequence[Any], preferences: Sequence[str]) -> Any | None:
    """The literal in the first preferred language; else one without a tag; else any (stable).

    `values` are sorted by the describe layer, so "any" is the same value on every request.
    """
    literals = [v for v in values if is_literal(v)]
    if not literals:
        return None
    for wanted in preferences:
        for v in literals:
            if _matches(language(v), wanted):
                return v
    for v in literals:
        if language(v) is None:
            return v
    return literals[0]


def in_language(values: Sequence[Any], lang: str | None) -> list[Any]:
    """All literals, or those in `lang` (and its subtags) when given."""
    literals = [v for v in values if is_literal(v)]
    if lang is None:
        return literals
    return [v for v in literals if _matches(language(v), lang.lower())]
