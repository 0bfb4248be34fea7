"""Type-ahead suggestions for the home page search box, from the search index.

What a person starts typing is usually the beginning of a name: a dataset title, an
organisation, a city or a concept (sector, EU theme, a city's own concept). Suggestions
therefore match words of those names, the last word as a prefix ("air q" -> "Air quality"),
in every language the names are written in, and show the name in the reader's language when
that one matches too, else the name that matched ("kø" shows "København", not "Copenhagen").

Speed: one tantivy query over the language-neutral title field (prefix on the last word), at most
a few dozen stored documents read, and an in-memory list of city names (cached until the index or
the store changes), so an answer takes a few milliseconds also at 10^5 datasets.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

import tantivy

from .search import schema as S
from .search.indexer import _unb64
from .search.labels import all_labels

KINDS = {S.DATASET: "dataset", S.STAKEHOLDER: "organisation", S.CONCEPT: "concept"}
ORDER = {"city": 0, "concept": 1, "organisation": 2, "dataset": 3}
MAX_LIMIT = 20


@dataclass
class Suggestion:
    kind: str
    """dataset, organisation, city or concept."""
    label: str
    lang: str | None
    iri: str
    detail: str = ""
    """For a city: the datasets covering it; for others: the type, in words."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Suggester:
    """Suggestions over a `SearchService` (kept on the app next to it)."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self._cities: list[tuple[str, list[tuple[list[str], str, str | None]], int]] = []
        self._cities_key: object = None
        self._lock = threading.Lock()

    # -- matching ------------------------------------------------------------------------------------
    def _tokens(self, text: str) -> list[str]:
        builder = self.service.builder
        return [t for t in (builder.neutral_fold(w) for w in builder.plain.analyze(text)) if t]

    @staticmethod
    def _matches(words: list[str], tokens: list[str]) -> bool:
        """Every finished word occurs among the name's tokens, the last one as a prefix of one of them."""
        if not words:
            return False
        *whole, last = words
        return all(w in tokens for w in whole) and any(t.startswith(last) for t in tokens)

    @staticmethod
    def _rank(typed: str, label: str) -> int:
        """0: the name starts with what was typed; 1: one of its words does; 2: only with accents folded
        ("kø" finds "København" before "kollektivtrafik", which it also matches as "ko")."""
        typed, label = typed.strip().lower(), label.lower()
        if label.startswith(typed):
            return 0
        last = typed.split()[-1] if typed.split() else typed
        if any(w.startswith(last) for w in label.replace("(", " ").replace("-", " ").split()):
            return 1
        return 2

    # -- cities --------------------------------------------------------------------------------------
    def _city_names(self, searcher: tantivy.Searcher) -> list[tuple[str, list[tuple[list[str], str, str | None]], int]]:
        """(IRI, [(tokens, label, lang)], datasets covering it) of every place used as a city facet value."""
        svc = self.service
        key = (svc.index.generation, svc.store.generation)
        with self._lock:
            if self._cities_key == key:
                return self._cities
        datasets = svc.builder.any_of(S.TYPE, [S.DATASET])
        agg = searcher.aggregate(datasets, {"c": {"terms": {"field": S.CITY, "size": 5000}}})
        counts = {b["key"]: int(b["doc_count"]) for b in agg["c"]["buckets"]}
        names = all_labels(svc.labels, list(counts))
        with svc.labels._lock:
            tagged = {iri: list(svc.labels._labels.get(iri, [])) for iri in counts}
        cities = []
        for iri, n in counts.items():
            labels = tagged.get(iri) or [(x, None) for x in names.get(iri, [])]
            entries = [(self._tokens(text), text, lang) for text, lang in dict.fromkeys(labels)]
            cities.append((iri, [e for e in entries if e[0]], n))
        with self._lock:
            self._cities, self._cities_key = cities, key
        return cities

    def _cities_for(self, q: str, words: list[str], lang: str | None,
                    searcher: tantivy.Searcher) -> list[tuple[int, Suggestion]]:
        out = []
        for iri, entries, n in self._city_names(searcher):
            hits = [e for e in entries if self._matches(words, e[0])]
            if not hits:
                continue
            best = _prefer(hits, lang)
            detail = f"{n} dataset{'s' if n != 1 else ''}"
            usual = _prefer(entries, lang)[1]
            if usual != best[1]:
                detail = f"{usual} · {detail}"
            out.append((self._rank(q, best[1]), Suggestion("city", best[1], best[2], iri, detail)))
        return out

    # -- documents -----------------------------------------------------------------------------------
    def _query(self, words: list[str], types: list[str]) -> tantivy.Query:
        schema = self.service.index.schema
        field = S.text_field("title", S.NEUTRAL)
        *whole, last = words
        parts = [(tantivy.Occur.Must, tantivy.Query.term_query(schema, field, w)) for w in whole]
        prefix = tantivy.Query.fuzzy_term_query(schema, field, last, distance=0, prefix=True)
        parts.append((tantivy.Occur.Must, prefix))
        parts.append((tantivy.Occur.Must, tantivy.Query.const_score_query(
            self.service.builder.any_of(S.TYPE, types), 0.0)))
        return tantivy.Query.boolean_query(parts)

    def suggest(self, q: str, *, limit: int = 8, lang: str | None = None) -> list[Suggestion]:
        """Up to `limit` names starting with (words of) `q`: cities, concepts, organisations, datasets."""
        limit = max(1, min(limit, MAX_LIMIT))
        words = self._tokens(q)
        if not words or (len(words) == 1 and len(words[0]) < 2 and not q.endswith(" ")):
            return []
        searcher = self.service.index.searcher()
        ranked = self._cities_for(q, words, lang, searcher)
        # Names of things first, then datasets: thousands of dataset titles start with "tra", and
        # they must not crowd out the concept "Transport" or the organisation "Trafikselskab".
        hits = [h for types in ([S.CONCEPT, S.STAKEHOLDER], [S.DATASET])
                for h in searcher.search(self._query(words, types), limit=limit * 4).hits]
        for _score, address in hits:
            doc = searcher.doc(address)
            kind = KINDS.get(doc.get_first(S.TYPE))
            if kind is None:
                continue
            titles: dict[str, str] = _unb64(doc.get_first(S.DISPLAY)).get("t", {})
            entries = [(self._tokens(t), t, la or None) for la, t in titles.items()]
            matching = [e for e in entries if self._matches(words, e[0])]
            if not matching:
                continue
            best = _prefer(matching, lang)
            ranked.append((self._rank(q, best[1]), Suggestion(kind, best[1], best[2], doc.get_first(S.IRI),
                                                                  kind)))
        ranked.sort(key=lambda rs: (rs[0], rs[1].lang not in (lang, None), ORDER[rs[1].kind], len(rs[1].label),
                                    rs[1].label.lower()))
        out: list[Suggestion] = []
        seen: set[tuple[str, str]] = set()
        for _rank, s in ranked:
            key = (s.kind, s.label.lower())
            if key in seen:
                continue  # 20 datasets all called "Air quality" are one suggestion's worth of help
            seen.add(key)
            out.append(s)
            if len(out) == limit:
                break
        return out


def _prefer(entries: list[tuple[list[str], str, str | None]], lang: str | None) -> tuple[list[str], str, str | None]:
    """The entry in the reader's language, else English, else untagged, else the first."""
    for wanted in (lang, "en", None):
        for e in entries:
            if e[2] == wanted:
                return e
    return entries[0]
