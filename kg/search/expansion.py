"""Semantic expansion: from words in a query to the SKOS concepts they name, and on to the concepts
that mean the same or something narrower, across city vocabularies and the Agora sector scheme.

Why a graph in memory: vocabularies are small (hundreds to a few thousand concepts) next to the
catalog, change rarely, and expansion must run on every query; one SPARQL read per store
generation keeps it exact without costing query time.

Matching: every pref/alt/hidden label and notation is analysed like indexed text (with its own
language's stemmer, and language-neutrally), and a concept matches when its whole label occurs as
consecutive words of the query ("traffic counts" contains the mobility sector's alt label
"traffic"). Single words also match labels within a small edit distance (typos).

Expansion follows, transitively and with decaying weight: skos:exactMatch and skos:closeMatch in
both directions (equivalence across vocabularies), and skos:narrower / inverse skos:broader /
skos:narrowMatch / inverse skos:broadMatch downwards. It never goes up to broader concepts and
ignores skos:related/relatedMatch: those widen a search beyond what was asked.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..namespaces import SKOS
from . import schema as S

_LABEL_CODES = {1: "pref", 2: "alt", 3: "hidden", 4: "notation"}
_CODES = ((1, SKOS + "prefLabel"), (2, SKOS + "altLabel"), (3, SKOS + "hiddenLabel"), (4, SKOS + "notation"),
          (5, SKOS + "exactMatch"), (6, SKOS + "closeMatch"), (7, SKOS + "broader"), (8, SKOS + "narrower"),
          (9, SKOS + "broadMatch"), (10, SKOS + "narrowMatch"), (11, SKOS + "inScheme"))

KIND_WEIGHT = {"pref": 1.0, "alt": 0.9, "hidden": 0.8, "notation": 0.9}
RELATION_WEIGHT = {"exactMatch": 1.0, "closeMatch": 0.7, "narrower": 0.7}
FUZZY_WEIGHT = 0.8
MIN_WEIGHT = 0.2
MAX_NGRAM = 6
MAX_DEPTH = 6
FEEDBACK_WEIGHT = 0.5
"""Concepts of the top results feed back into the query at this weight (see SearchService)."""


@dataclass(frozen=True)
class LabelMatch:
    """A concept label found in the query."""

    concept: str
    label: str
    lang: str | None
    kind: str
    weight: float
    fuzzy: bool = False


@dataclass(frozen=True)
class Step:
    relation: str
    concept: str


@dataclass
class Expansion:
    """A concept the query reaches, how strongly, and how (for "why did this match")."""

    concept: str
    weight: float
    match: LabelMatch
    path: tuple[Step, ...] = ()

    @property
    def direct(self) -> bool:
        return not self.path


@dataclass
class Concept:
    iri: str
    labels: list[tuple[str, str | None, str]] = field(default_factory=list)
    schemes: set[str] = field(default_factory=set)


class ConceptGraph:
    """The SKOS concepts of every source, with labels, mappings and hierarchy."""

    def __init__(self, concepts: dict[str, Concept], equivalent: dict[str, set[tuple[str, str]]],
                 narrower: dict[str, set[str]]) -> None:
        self.concepts = concepts
        self.equivalent = equivalent
        self.narrower = narrower
        self._analyzers = {lang: S.language_analyzer(lang) for lang in S.LANGUAGES}
        self._analyzers[S.NEUTRAL] = S.neutral_analyzer()
        self._below_cache: dict[str, set[str]] = {}
        self._table: dict[tuple[str, tuple[str, ...]], list[tuple[str, str, str | None, str]]] = defaultdict(list)
        self._single: dict[tuple[int, str], list[tuple[str, str, str, str | None, str]]] = defaultdict(list)
        """Single-word labels by (length, first letter): typo candidates (a typo in the first letter is rare)."""
        for c in concepts.values():
            for text, lang, kind in c.labels:
                for analyzer in {lang if lang in S.LANGUAGES else S.NEUTRAL, S.NEUTRAL}:
                    tokens = tuple(self._analyzers[analyzer].analyze(text))
                    if tokens and len(tokens) <= MAX_NGRAM:
                        self._table[(analyzer, tokens)].append((c.iri, text, lang, kind))
                        if analyzer == S.NEUTRAL and len(tokens) == 1 and len(tokens[0]) >= 5:
                            self._single[(len(tokens[0]), tokens[0][0])].append((tokens[0], c.iri, text, lang, kind))

    @classmethod
    def load(cls, store: Any) -> ConceptGraph:
        """Read every concept of every source (union graph)."""
        branches = " UNION ".join(f"{{ ?c <{iri}> ?v BIND({code} AS ?k) }}" for code, iri in _CODES)
        query = f"SELECT ?c ?k ?v WHERE {{ ?c a <{SKOS}Concept> . FILTER(isIRI(?c)) {branches} }}"
        concepts: dict[str, Concept] = {}
        equivalent: dict[str, set[tuple[str, str]]] = defaultdict(set)
        narrower: dict[str, set[str]] = defaultdict(set)
        for c, k, v in store.ox.query(query, default_graph=store.public_physical_graphs()):
            code = int(k.value)
            iri = c.value
            if code <= 4:
                concept = concepts.setdefault(iri, Concept(iri))
                concept.labels.append((v.value, S.base_language(getattr(v, "language", None)), _LABEL_CODES[code]))
                continue
            if not hasattr(v, "value") or type(v).__name__ != "NamedNode":
                continue
            other = v.value
            if code in (5, 6):
                relation = "exactMatch" if code == 5 else "closeMatch"
                equivalent[iri].add((relation, other))
                equivalent[other].add((relation, iri))
            elif code in (7, 9):  # iri is narrower than other
                narrower[other].add(iri)
            elif code in (8, 10):
                narrower[iri].add(other)
            elif code == 11:
                concepts.setdefault(iri, Concept(iri)).schemes.add(other)
        return cls(concepts, dict(equivalent), dict(narrower))

    # -- matching ----------------------------------------------------------------------------
    def match(self, query: str, *, fuzzy: bool = True, typing: bool = False) -> list[LabelMatch]:
        """Concepts whose label occurs in the query, weighted by label kind and by how much of the
        query the label covers (a label naming the whole query is stronger evidence).

        When the query names both a concept and a broader one (Swedish "kollektivtrafik" is the
        pref label of Malmö's public-transport concept and an alt label of the whole mobility
        sector), the specific reading is what was meant: the broader match is halved.
        `typing` lets the last word match the beginning of a one-word label (type-ahead)."""
        best: dict[str, LabelMatch] = {}
        covered_words: set[str] = set()
        for analyzer_name, analyzer in self._analyzers.items():
            tokens = analyzer.analyze(query)
            if not tokens:
                continue
            for n in range(min(MAX_NGRAM, len(tokens)), 0, -1):
                for i in range(len(tokens) - n + 1):
                    gram = tuple(tokens[i:i + n])
                    entries = self._table.get((analyzer_name, gram))
                    if not entries:
                        continue
                    if analyzer_name == S.NEUTRAL:
                        covered_words.update(gram)
                    coverage = math.sqrt(n / len(tokens))
                    for concept, text, lang, kind in entries:
                        if analyzer_name != S.NEUTRAL and lang != analyzer_name:
                            continue
                        weight = KIND_WEIGHT[kind] * coverage
                        if concept not in best or best[concept].weight < weight:
                            best[concept] = LabelMatch(concept, text, lang, kind, weight)
        words = self._analyzers[S.NEUTRAL].analyze(query)
        candidates: list[tuple[str, str, str | None, str]] = []
        if fuzzy:
            for word in words:
                if word not in covered_words and len(word) >= 6:
                    candidates += self._fuzzy(word)
        if typing and words and words[-1] not in covered_words and len(words[-1]) >= 5:
            candidates += self._prefixed(words[-1])
        for concept, text, lang, kind in candidates:
            weight = KIND_WEIGHT[kind] * FUZZY_WEIGHT * math.sqrt(1 / len(words))
            if concept not in best or best[concept].weight < weight:
                best[concept] = LabelMatch(concept, text, lang, kind, weight, fuzzy=True)
        for broad in list(best):
            if any(other != broad and other in self._below(broad) for other in best):
                m = best[broad]
                best[broad] = LabelMatch(m.concept, m.label, m.lang, m.kind, m.weight * 0.5, m.fuzzy)
        return sorted(best.values(), key=lambda m: (-m.weight, m.concept))

    def _below(self, iri: str) -> set[str]:
        """Concepts narrower than `iri` (through its equivalents too)."""
        cached = self._below_cache.get(iri)
        if cached is None:
            seed = LabelMatch(iri, "", None, "pref", 1.0)
            cached = {c for c, e in self.expand([seed], min_weight=0.0).items()
                      if any(step.relation == "narrower" for step in e.path)}
            self._below_cache[iri] = cached
        return cached

    def _prefixed(self, word: str) -> list[tuple[str, str, str | None, str]]:
        out = []
        for (length, first), entries in self._single.items():
            if first == word[0] and length > len(word):
                out += [(concept, text, lang, kind) for token, concept, text, lang, kind in entries
                        if token.startswith(word)]
        return out

    def _fuzzy(self, word: str) -> list[tuple[str, str, str | None, str]]:
        limit = 1 if len(word) < 10 else 2
        out = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            for token, concept, text, lang, kind in self._single.get((length, word[0]), ()):
                if token != word and _distance(word, token, limit) <= limit:
                    out.append((concept, text, lang, kind))
        return out

    # -- expansion ---------------------------------------------------------------------------
    def expand(self, matches: Iterable[LabelMatch], *, min_weight: float = MIN_WEIGHT) -> dict[str, Expansion]:
        """Every concept reachable from the matched ones, with its best weight and path."""
        best: dict[str, Expansion] = {}
        heap: list[tuple[float, int, Expansion]] = []
        counter = 0
        for m in matches:
            heapq.heappush(heap, (-m.weight, counter, Expansion(m.concept, m.weight, m)))
            counter += 1
        while heap:
            _neg, _n, exp = heapq.heappop(heap)
            if exp.concept in best:
                continue
            best[exp.concept] = exp
            if len(exp.path) >= MAX_DEPTH:
                continue
            for relation, other in self._neighbours(exp.concept):
                weight = exp.weight * RELATION_WEIGHT[relation]
                if weight >= min_weight and weight > 0 and other not in best:
                    counter += 1
                    heapq.heappush(heap, (-weight, counter, Expansion(other, weight, exp.match,
                                                                      (*exp.path, Step(relation, other)))))
        return best

    def _neighbours(self, iri: str) -> Iterable[tuple[str, str]]:
        yield from self.equivalent.get(iri, ())
        for other in self.narrower.get(iri, ()):
            yield "narrower", other

    # -- labels ------------------------------------------------------------------------------
    def label(self, iri: str, lang: str | None = None) -> str | None:
        concept = self.concepts.get(iri)
        if concept is None:
            return None
        return best_label([(t, la) for t, la, kind in concept.labels if kind == "pref"]
                          or [(t, la) for t, la, _kind in concept.labels], lang)


def best_label(labels: list[tuple[str, str | None]], lang: str | None) -> str | None:
    """The label in the wanted language, else English, else untagged, else any (stable choice)."""
    if not labels:
        return None
    for wanted in (lang, "en", None):
        for text, la in labels:
            if la == wanted:
                return text
    return sorted(labels, key=lambda x: (x[1] or "", x[0]))[0][0]


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition costs 1), stopping above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
