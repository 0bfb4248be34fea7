"""Background knowledge the evaluator consults: hierarchies, memberships, party descriptions, policy links.

Every lookup is one small SPARQL query, memoised until the store changes (the engine makes a
new Knowledge per store generation). Lookups are lazy because the questions a decision asks are
few (the requested purpose's broader concepts, the party's collections, one dataset's policies)
while the store may hold 100,000 datasets: loading whole hierarchies up front would cost more
than every decision of a session together.

Which relations count:
- `isA` (odrl:isA, hierarchy-aware set operators): skos:broader/broadMatch/narrower (inverse),
  rdfs:subClassOf, rdf:type, agora:hasRole, dct:type, odrl:partOf, and exact synonyms
  (skos:exactMatch, owl:sameAs, owl:equivalentClass, both directions), so a purpose narrower
  than public-interest "is a" public-interest, and a DPV purpose matches its Agora exactMatch.
- `partOf` (odrl:isPartOf, hasPart, spatial containment): dct:isPartOf/hasPart (inverse),
  agora:city, agora:country, odrl:partOf, skos:broader, GeoNames parent features,
  schema:containedInPlace, plus the exact synonyms: Nordhavn is part of Copenhagen, which is
  part of country:DNK.
- assets: odrl:partOf (asset collections), dct:isPartOf/hasPart, dcat:distribution (inverse: a
  distribution is governed by its dataset's policies), dcat:inSeries.
- parties: odrl:partOf (party collections), org:memberOf/hasMember, agora:memberOf (data spaces),
  org:subOrganizationOf.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .model import Lit, Term
from .source import Source
from .terms import HAS_POLICY, IMPLIES, INCLUDED_IN

_SYNONYMS = "skos:exactMatch|^skos:exactMatch|owl:sameAs|^owl:sameAs|owl:equivalentClass|^owl:equivalentClass"
PATHS = {
    "same": _SYNONYMS,
    "isA": ("skos:broader|skos:broaderTransitive|skos:broadMatch|^skos:narrower|^skos:narrowerTransitive"
            "|^skos:narrowMatch|rdfs:subClassOf|rdf:type|agora:hasRole|dct:type|odrl:partOf|" + _SYNONYMS),
    "partOf": ("dct:isPartOf|^dct:hasPart|agora:city|agora:country|odrl:partOf|skos:broader|skos:broaderTransitive"
               "|^skos:narrower|<http://www.geonames.org/ontology#parentFeature>"
               "|<http://www.geonames.org/ontology#parentCountry>|<https://schema.org/containedInPlace>"
               "|<http://schema.org/containedInPlace>|" + _SYNONYMS),
    "asset": "odrl:partOf|dct:isPartOf|^dct:hasPart|^dcat:distribution|dcat:inSeries|owl:sameAs|^owl:sameAs",
    "party": ("odrl:partOf|org:memberOf|^org:hasMember|agora:memberOf|org:subOrganizationOf"
              "|owl:sameAs|^owl:sameAs"),
}
"""The relations each kind of containment follows (transitively)."""

DERIVED = {
    "https://w3id.org/agora/ns#country": "agora:country|(agora:city|dct:spatial)/agora:country",
    "http://www.w3.org/ns/odrl/2/spatial": "agora:city|dct:spatial|agora:country|agora:city/agora:country",
}
"""Attributes read through a path when a party refinement asks for them (a party's country is its city's)."""


def _is_iri(iri: str) -> bool:
    return not any(c in iri for c in '<>"{}|^`\\ \n\t') and ":" in iri


def iri_ref(iri: str) -> str:
    """An IRI for a query text; rejects anything that could break out of the <...>."""
    if any(c in iri for c in '<>"{}|^`\\ \n\t') or iri.startswith("_:"):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


class Knowledge:
    """Memoised lookups against one generation of the store."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._memo: dict[tuple[object, ...], object] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[object, ...], compute: object) -> object:
        hit = self._memo.get(key, _MISSING)
        if hit is _MISSING:
            hit = compute()  # type: ignore[operator]
            with self._lock:
                self._memo[key] = hit
        return hit

    # -- hierarchies -----------------------------------------------------------------------------
    def ancestors(self, iri: str, relation: str) -> frozenset[str]:
        """`iri` itself and everything it is (transitively) narrower than / contained in / a member of."""
        if iri.startswith("_:") or not _is_iri(iri):
            return frozenset({iri})

        def compute() -> frozenset[str]:
            rows = self.source.select(f"SELECT DISTINCT ?a WHERE {{ {iri_ref(iri)} ({PATHS[relation]})+ ?a }}")
            return frozenset({iri, *(r[0] for r in rows if isinstance(r[0], str) and not r[0].startswith("_:"))})

        return self._cached(("up", iri, relation), compute)  # type: ignore[return-value]

    def descendants(self, iri: str, relation: str, limit: int = 50) -> tuple[str, ...]:
        """Narrower concepts / parts / members of `iri` (for building conflict witnesses), at most `limit`."""
        if iri.startswith("_:"):
            return ()

        def compute() -> tuple[str, ...]:
            rows = self.source.select(f"SELECT DISTINCT ?d WHERE {{ ?d ({PATHS[relation]})+ {iri_ref(iri)} . "
                                      f"FILTER(isIRI(?d)) }} ORDER BY ?d LIMIT {int(limit)}")
            return tuple(r[0] for r in rows if isinstance(r[0], str))

        return self._cached(("down", iri, relation, limit), compute)  # type: ignore[return-value]

    # -- descriptions ----------------------------------------------------------------------------
    def values(self, subject: str, predicate: str) -> tuple[Term, ...]:
        """The values of an attribute of `subject` (e.g. a party's agora:hasRole), derived ones included."""
        if subject.startswith("_:"):
            return ()

        def compute() -> tuple[Term, ...]:
            path = DERIVED.get(predicate, iri_ref(predicate))
            rows = self.source.select(f"SELECT DISTINCT ?v WHERE {{ {iri_ref(subject)} {path} ?v }}")
            return tuple(sorted((r[0] for r in rows if r[0] is not None), key=str))

        return self._cached(("values", subject, predicate), compute)  # type: ignore[return-value]

    def subjects_with(self, predicate: str, limit: int = 1_000_000) -> frozenset[str]:
        """Everything that has a value for `predicate` (derived paths included): candidates for a refinement."""
        def compute() -> frozenset[str]:
            path = DERIVED.get(predicate, iri_ref(predicate))
            rows = self.source.select(f"SELECT DISTINCT ?s WHERE {{ ?s {path} ?v . FILTER(isIRI(?s)) }} "
                                      f"LIMIT {int(limit)}")
            return frozenset(r[0] for r in rows if isinstance(r[0], str))

        return self._cached(("subjects", predicate), compute)  # type: ignore[return-value]

    def known(self, iri: str) -> bool:
        """Whether the store says anything about `iri` (as subject or object): unknown names are bad input."""
        def compute() -> bool:
            ref = iri_ref(iri)
            rows = self.source.select(f"SELECT ?x WHERE {{ {{ {ref} ?p ?x }} UNION {{ ?x ?p {ref} }} }} LIMIT 1")
            return bool(rows)

        return self._cached(("known", iri), compute)  # type: ignore[return-value]

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """A human label (English preferred) for each IRI that has one: names, titles, prefLabels."""
        wanted = sorted({i for i in iris if not i.startswith("_:")})
        out: dict[str, str] = {}
        missing = [i for i in wanted if ("label", i) not in self._memo]
        if missing:
            values = " ".join(iri_ref(i) for i in missing)
            rows = self.source.select(
                f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} "
                "?s foaf:name|dct:title|skos:prefLabel|rdfs:label ?l }")
            found: dict[str, list[Lit]] = {}
            for s, label in rows:
                if isinstance(s, str) and isinstance(label, Lit):
                    found.setdefault(s, []).append(label)
            with self._lock:
                for i in missing:
                    labels = found.get(i, [])
                    best = next((x.value for x in labels if x.language == "en"), None)
                    best = best or next((x.value for x in labels if not x.language), None)
                    self._memo[("label", i)] = best or (labels[0].value if labels else None)
        for i in wanted:
            label = self._memo.get(("label", i))
            if isinstance(label, str):
                out[i] = label
        return out

    # -- policy links ---------------------------------------------------------------------------
    def linked_policies(self, target: str) -> frozenset[str]:
        """Policies attached (odrl:hasPolicy) to `target` or to an asset it belongs to (its dataset, collection)."""
        def compute() -> frozenset[str]:
            # Containers first, then one lookup: `path* ?a . ?a odrl:hasPolicy ?p` lets the planner start
            # from every hasPolicy triple in the store, which costs 100x more.
            assets = " ".join(iri_ref(a) for a in sorted(self.ancestors(target, "asset")))
            rows = self.source.select(f"SELECT DISTINCT ?p WHERE {{ VALUES ?a {{ {assets} }} ?a odrl:hasPolicy ?p }}")
            return frozenset(r[0] for r in rows if isinstance(r[0], str))

        return self._cached(("linked", target), compute)  # type: ignore[return-value]

    def policy_links(self) -> dict[str, frozenset[str]]:
        """Every asset -> its directly attached policies (odrl:hasPolicy), for whole-catalog decisions."""
        def compute() -> dict[str, frozenset[str]]:
            links: dict[str, set[str]] = {}
            for asset, policy in self.source.select(f"SELECT ?d ?p WHERE {{ ?d <{HAS_POLICY}> ?p }}"):
                if isinstance(asset, str) and isinstance(policy, str):
                    links.setdefault(asset, set()).add(policy)
            return {a: frozenset(ps) for a, ps in links.items()}

        return self._cached(("links",), compute)  # type: ignore[return-value]

    def action_relations(self) -> list[tuple[str, str, str]]:
        """includedIn / implies / exactMatch edges between actions declared in the store (profiles)."""
        def compute() -> list[tuple[str, str, str]]:
            rows = self.source.select(
                f"SELECT ?a ?r ?b WHERE {{ {{ ?a ?r ?b . VALUES ?r {{ <{INCLUDED_IN}> <{IMPLIES}> }} }} "
                "UNION { ?a skos:exactMatch ?b . ?a a odrl:Action . BIND(skos:exactMatch AS ?r) } }")
            return [(a, r, b) for a, r, b in rows if isinstance(a, str) and isinstance(r, str) and isinstance(b, str)]

        return self._cached(("actions",), compute)  # type: ignore[return-value]


_MISSING = object()
