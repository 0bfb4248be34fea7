"""The search service: one object per running store, used by the HTTP API, the CLI and the policy engine.

`SearchService.attach(store)` opens (or creates and fills) the index in `<data_dir>/search`,
repairs any disagreement with the store, and subscribes to the store's change notifications so
that every committed load, replace or delete is searchable when the write call returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import tantivy

from ..errors import BadInput
from . import schema as S
from .expansion import FEEDBACK_WEIGHT, ConceptGraph, Expansion, LabelMatch
from .explain import Explainer, concept_reasons, display_title
from .extract import EU_THEME, Extractor
from .facets import DEFAULT_FACETS, FACETS, Facets
from .geo import BBox, box_around
from .indexer import IndexStats, SearchIndex, _unb64
from .labels import Labels
from .query import QueryBuilder
from .results import ExpandedConcept, MappingStep, Reason, SearchHit, SearchRequest, SearchResponse

log = logging.getLogger("agora.search")
MAX_SIZE = 100
MAX_OFFSET = 10_000
FEEDBACK_DOCS = 3
SECTOR_PREFIX = "https://w3id.org/agora/sector/"


class NotIndexed(BadInput):
    """The IRI names nothing the search index holds."""

    http_status = 404


UsableProvider = Callable[[SearchRequest], "set[str] | None"]


class SearchService:
    def __init__(self, store: Any, index: SearchIndex) -> None:
        self.store = store
        self.index = index
        self.builder = QueryBuilder(index.schema)
        self.labels = Labels(store)
        self.explainer = Explainer()
        self.facets = Facets(index.schema, self.labels, self._concept_label)
        self.usable_provider: UsableProvider | None = None
        """Policy hook: given a request, the dataset IRIs its caller may use (None: no restriction)."""
        self._graph: ConceptGraph | None = None
        self._graph_generation = -1
        self._graph_lock = threading.Lock()
        self._attached = False
        self._facet_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="agora-facets")
        """Facet counts run beside the ranked search: tantivy releases the GIL in both, and on a broad
        query over 10^6 documents each is tens of milliseconds."""

    # -- life cycle --------------------------------------------------------------------------------
    @classmethod
    def attach(cls, store: Any, settings: Any | None = None) -> SearchService:
        """Open the index of `store` (repairing it) and keep it in sync with every committed change."""
        data_dir = Path((settings or store.settings).data_dir)
        service = cls(store, SearchIndex.open(store, data_dir / "search"))
        if not getattr(store, "read_only", False):
            store.listeners.append(service._on_change)
            service._attached = True
        return service

    def detach(self) -> None:
        if self._attached and self._on_change in self.store.listeners:
            self.store.listeners.remove(self._on_change)
        self._attached = False

    def _on_change(self, source: str) -> None:
        # Called by the store after its commit: an exception here must not make a committed write
        # look failed, so it is logged and the source left dirty (repaired on the next search).
        try:
            self.index.apply(self.store, {source}, changed=True)
        except Exception:
            log.exception("search index: could not index source %r; it will be retried", source)

    def reindex(self) -> IndexStats:
        return self.index.rebuild(self.store)

    def status(self) -> dict[str, Any]:
        searcher = self.index.searcher()
        documents = searcher.search(self._visible(None), limit=1, count=True).count
        return {"path": str(self.index.path), "documents": documents, "size_bytes": self.index.size_bytes(),
                "sources": {m.source: m.version for m in self.index.manifests().values()},
                "disagreement": self.index.disagreement(self.store), "dirty": sorted(self.index.dirty)}

    def _ensure_fresh(self, warnings: list[str]) -> None:
        if self.index.dirty and not getattr(self.store, "read_only", False):
            try:
                self.index.repair(self.store)
            except Exception as exc:  # keep answering from the last good index
                warnings.append(f"search index could not be brought up to date: {exc}")

    # -- concepts ----------------------------------------------------------------------------------
    def graph(self) -> ConceptGraph:
        with self._graph_lock:
            if self._graph is None or self._graph_generation != self.store.generation:
                self._graph = ConceptGraph.load(self.store)
                self._graph_generation = self.store.generation
            return self._graph

    def _concept_label(self, iri: str, lang: str | None) -> str | None:
        return self.graph().label(iri, lang)

    # -- search ------------------------------------------------------------------------------------
    def search(self, req: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        warnings: list[str] = []
        self._ensure_fresh(warnings)
        if req.size < 0 or req.size > MAX_SIZE or req.page < 1 or (req.page - 1) * req.size > MAX_OFFSET:
            raise BadInput(f"page must be >= 1 and size between 0 and {MAX_SIZE} (at most {MAX_OFFSET} results deep)")
        searcher = self.index.searcher()
        key = (self.index.generation, self.store.generation)
        q = req.q.strip()
        text = self.builder.text(req.q, fuzzy=req.fuzzy, prefix=req.prefix, searcher=searcher) if q else None
        for w in text.words if text else []:
            if w.corrections:
                warnings.append(f"{w.text!r} is not in the catalog; also searched: "
                                + ", ".join(c.text for c in w.corrections))
        expansions: dict[str, Expansion] = {}
        typing = req.prefix and not req.q[-1:].isspace()
        if q and req.expand:
            graph = self.graph()
            expansions = graph.expand(graph.match(q, fuzzy=req.fuzzy, typing=typing))
        scoring = self._scoring(text.query if text else None, self.builder.concepts(expansions.values(), searcher))
        usable = req.usable if req.usable is not None else (
            self.usable_provider(req) if self.usable_provider is not None else None)
        filters = self._filters(searcher, req, usable, key, warnings)
        if q and req.expand:
            expansions = self._feedback(searcher, _must(scoring, filters), expansions)
            scoring = self._scoring(text.query if text else None, self.builder.concepts(expansions.values(), searcher))
        final = _must(scoring, filters)
        browsing = not (text and text.query) and not expansions  # nothing to rank by: newest first
        order = S.MODIFIED if browsing or req.sort == "modified" else None
        facet_names = DEFAULT_FACETS if req.facets is None else req.facets
        counting = self._facet_pool.submit(self.facets.count, searcher, final, facet_names, req.facet_size,
                                           req.lang) if facet_names else None
        result = searcher.search(final, limit=max(req.size, 1), offset=(req.page - 1) * req.size, count=True,
                                 order_by_field=order, order=tantivy.Order.Desc)
        hits = self._hits(searcher, result.hits[:req.size], text.words if text else [], text.query if text else None,
                          expansions, req, scored=order is None)
        facets = counting.result() if counting is not None else {}
        response = SearchResponse(query=req.q, total=result.count, page=req.page, size=req.size, results=hits,
                                  facets=facets, expansion=self._expansion_summary(expansions, req.lang),
                                  warnings=warnings)
        response.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return response

    def _feedback(self, searcher: tantivy.Searcher, first: tantivy.Query,
                  expansions: dict[str, Expansion]) -> dict[str, Expansion]:
        """Concept feedback: the local concepts of the best first-pass results, and their equivalents,
        join the expansion at reduced weight. "traffic counts" names no concept in English, but its
        best text matches are filed under Copenhagen's trafiktælling and Antwerp's verkeerstellingen,
        whose mappings reach the other cities' detector and flow datasets. Sectors and EU themes are
        left out: they are too broad to say what the results have in common."""
        hits = searcher.search(first, limit=FEEDBACK_DOCS).hits
        if not hits or hits[0][0] <= 0:
            return expansions
        top = hits[0][0]
        seeds: dict[str, float] = {}
        for score, address in hits:
            if score < 0.5 * top:
                break
            doc = searcher.doc(address)
            own = doc.get_first(S.IRI)
            for concept in doc.get_all(S.ALL_CONCEPTS):
                if concept == own or concept.startswith((SECTOR_PREFIX, EU_THEME)):
                    continue
                seeds[concept] = max(seeds.get(concept, 0.0), FEEDBACK_WEIGHT * score / top)
        if not seeds:
            return expansions
        graph = self.graph()
        matches = [LabelMatch(c, graph.label(c) or c, None, "feedback", w) for c, w in seeds.items()]
        merged = dict(expansions)
        for concept, e in graph.expand(matches).items():
            if concept not in merged or merged[concept].weight < e.weight:
                merged[concept] = e
        return merged

    @staticmethod
    def _scoring(text: tantivy.Query | None, concepts: tantivy.Query | None) -> tantivy.Query:
        parts = [(tantivy.Occur.Should, q) for q in (text, concepts) if q is not None]
        if not parts:
            return tantivy.Query.all_query()
        return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)

    def _visible(self, types: list[str] | None) -> tantivy.Query:
        """Result types asked for, without the duplicates of records another source also has."""
        from ..duplicates import duplicate_iris

        kinds = self.builder.any_of(S.TYPE, types or S.RESULT_TYPES)
        duplicates = duplicate_iris(self.store)
        if not duplicates:
            return kinds
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, kinds),
                                            (tantivy.Occur.MustNot, self.builder.any_of(S.IRI, duplicates))])

    def _filters(self, searcher: tantivy.Searcher, req: SearchRequest, usable: set[str] | None, key: object,
                 warnings: list[str]) -> list[tantivy.Query]:
        unknown = [t for t in (req.types or []) if t not in S.RESULT_TYPES]
        if unknown:
            raise BadInput(f"unknown result type(s) {', '.join(unknown)}; use {', '.join(S.RESULT_TYPES)}")
        filters = [self._visible(req.types)]
        for facet, values in req.filters.items():
            resolved: list[str] = []
            for value in values:
                iris, warning = self.facets.resolve(searcher, facet, value, key)
                resolved += iris
                if warning:
                    warnings.append(warning)
            filters.append(self.builder.any_of(FACETS[facet], resolved))
        if req.bbox is not None:
            filters.append(self.builder.intersects(req.bbox))
        if req.near is not None:
            lat, lon, km = req.near
            filters.append(self.builder.intersects(box_around(lat, lon, km)))
        if req.within:
            filters.append(self._within(searcher, req.within, key, warnings))
        if req.since is not None:
            filters.append(self.builder.since(req.since))
        if req.period is not None:
            filters.append(self.builder.overlaps(*req.period))
        if usable is not None:
            datasets = self.builder.any_of(S.TYPE, [S.DATASET])
            others = tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                                  (tantivy.Occur.MustNot, datasets)])
            allowed = [(tantivy.Occur.Should, others)]
            if usable:
                allowed.append((tantivy.Occur.Should, self.builder.any_of(S.IRI, usable)))
            filters.append(tantivy.Query.boolean_query(allowed))
        return filters

    def _within(self, searcher: tantivy.Searcher, place: str, key: object, warnings: list[str]) -> tantivy.Query:
        """Coverage is the place, one of its parts (dct:hasPart, transitively), or lies inside its box."""
        iris, warning = self.facets.resolve(searcher, "city", place, key)
        if warning:
            warnings.append(warning)
        iris = [i for i in iris if _is_iri(i)]  # an unknown name ("*") names no place; never put it in a query
        parts = set(iris)
        graphs = self.store.public_physical_graphs()
        for iri in iris:
            query = f"SELECT DISTINCT ?p WHERE {{ <{iri}> <http://purl.org/dc/terms/hasPart>+ ?p }}"
            parts.update(row[0].value for row in self.store.ox.query(query, default_graph=graphs))
        alternatives = [(tantivy.Occur.Should, self.builder.any_of(S.CITY, parts))]
        boxes = [f.bbox for f in Extractor(self.store).facts(iris).values() if f.bbox is not None]
        if boxes:
            box: BBox = boxes[0]
            for other in boxes[1:]:
                box = box.union(other)
            alternatives.append((tantivy.Occur.Should, self.builder.inside(box)))
        return tantivy.Query.boolean_query(alternatives)

    def _hits(self, searcher: tantivy.Searcher, hits: list[tuple[Any, Any]], words: list[Any],
              text_query: tantivy.Query | None, expansions: dict[str, Expansion], req: SearchRequest,
              *, scored: bool) -> list[SearchHit]:
        docs = [searcher.doc(address) for _score, address in hits]
        iris = [d.get_first(S.IRI) for d in docs]
        text_matched: set[str] = set()
        if text_query is not None and iris:
            check = tantivy.Query.boolean_query([(tantivy.Occur.Must, text_query),
                                                 (tantivy.Occur.Must, self.builder.any_of(S.IRI, iris))])
            text_matched = {searcher.doc(a).get_first(S.IRI) for _s, a in searcher.search(check, len(iris)).hits}
        graph = self.graph() if expansions else None
        out = []
        for (score, _address), doc, iri in zip(hits, docs, iris, strict=True):
            display = _unb64(doc.get_first(S.DISPLAY))
            title, lang = display_title(display, req.lang, iri)
            why: list[Reason] = []
            if iri in text_matched:
                why.append(self.explainer.text_reason(words, display)
                           or Reason(kind="text", fields=["context"]))  # publisher or place names, long text
            if graph is not None:
                why += concept_reasons(doc.get_all(S.ALL_CONCEPTS), expansions, graph, req.lang)
            out.append(SearchHit(iri=iri, type=doc.get_first(S.TYPE), title=title, lang=lang,
                                 snippet=self.explainer.snippet(words, display, req.lang or lang),
                                 score=round(float(score), 4) if scored else 0.0,
                                 source=doc.get_first(S.SOURCE), why=why))
        return out

    def _expansion_summary(self, expansions: dict[str, Expansion], lang: str | None,
                           limit: int = 50) -> list[ExpandedConcept]:
        if not expansions:
            return []
        graph = self.graph()
        ranked = sorted(expansions.values(), key=lambda e: (-e.weight, e.concept))[:limit]
        return [ExpandedConcept(concept=e.concept, label=graph.label(e.concept, lang), weight=round(e.weight, 3),
                                matched=e.match.label,
                                via=[MappingStep(s.relation, s.concept, graph.label(s.concept, lang)) for s in e.path])
                for e in ranked]

    # -- more like this, use cases -------------------------------------------------------------------
    def _stored(self, searcher: tantivy.Searcher, iri: str) -> tantivy.Document:
        hits = searcher.search(tantivy.Query.term_query(self.index.schema, S.IRI, iri), limit=1).hits
        if not hits:
            raise NotIndexed(f"nothing with IRI {iri!r} is in the search index")
        return searcher.doc(hits[0][1])

    def similar(self, iri: str, *, size: int = 10, lang: str | None = None, types: list[str] | None = None,
                usable: set[str] | None = None) -> SearchResponse:
        """Resources like this one: shared words (in any of its languages) and shared or mapped concepts,
        so Copenhagen's traffic counts find Florence's flussi di traffico."""
        started = time.perf_counter()
        searcher = self.index.searcher()
        doc = self._stored(searcher, iri)
        display = _unb64(doc.get_first(S.DISPLAY))
        fields = {S.text_field("title", S.NEUTRAL): list(display.get("t", {}).values()),
                  S.text_field("kw", S.NEUTRAL): [k for k, _lang in display.get("k", [])],
                  S.text_field("body", S.NEUTRAL): list(display.get("d", {}).values())}
        fields = {k: v for k, v in fields.items() if v}
        text = tantivy.Query.more_like_this_document_fields_query(
            self.index.schema, fields, min_doc_frequency=1, min_term_frequency=1, max_query_terms=30,
            min_word_length=3) if fields else None
        graph = self.graph()
        seeds = []
        for concept in doc.get_all(S.ALL_CONCEPTS):
            if concept == iri:
                continue
            weight = 0.5 if concept.startswith(EU_THEME) else 0.8 if concept.startswith(
                "https://w3id.org/agora/sector/") else 1.0
            label = graph.label(concept, lang) or concept
            seeds.append(LabelMatch(concept, label, lang, "pref", weight))
        expansions = graph.expand(seeds)
        scoring = self._scoring(text, self.builder.concepts(expansions.values(), searcher, boost=4.0))
        own_type = doc.get_first(S.TYPE)
        filters = [self._visible(types or [own_type]),
                   tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                                (tantivy.Occur.MustNot,
                                                 tantivy.Query.term_query(self.index.schema, S.IRI, iri))])]
        if usable is not None:
            filters.append(self.builder.any_of(S.IRI, usable or {""}))
        final = _must(scoring, filters)
        result = searcher.search(final, limit=size, count=True)
        hits = []
        for score, address in result.hits:
            other = searcher.doc(address)
            other_display = _unb64(other.get_first(S.DISPLAY))
            title, title_lang = display_title(other_display, lang, other.get_first(S.IRI))
            why = concept_reasons(other.get_all(S.ALL_CONCEPTS), expansions, graph, lang, kind_direct="similar",
                                  kind_mapped="similar")
            snippet = self.explainer.snippet([], other_display, lang or title_lang)
            hits.append(SearchHit(iri=other.get_first(S.IRI), type=other.get_first(S.TYPE), title=title,
                                  lang=title_lang, snippet=snippet, score=round(float(score), 4),
                                  source=other.get_first(S.SOURCE), why=why))
        return SearchResponse(query=f"similar:{iri}", total=result.count, page=1, size=size, results=hits,
                              took_ms=round((time.perf_counter() - started) * 1000, 2))

    def use_cases(self, iri: str, *, lang: str | None = None, types: list[str] | None = None) -> SearchResponse:
        """The use cases (and, if asked, digital twins) that use this dataset or service."""
        started = time.perf_counter()
        searcher = self.index.searcher()
        self._stored(searcher, iri)
        query = _must(tantivy.Query.term_query(self.index.schema, S.USES, iri),
                      [self._visible(types or [S.USECASE])])
        result = searcher.search(query, limit=MAX_SIZE, count=True)
        hits = []
        for _score, address in result.hits:
            doc = searcher.doc(address)
            display = _unb64(doc.get_first(S.DISPLAY))
            title, title_lang = display_title(display, lang, doc.get_first(S.IRI))
            hits.append(SearchHit(iri=doc.get_first(S.IRI), type=doc.get_first(S.TYPE), title=title,
                                  lang=title_lang, snippet=self.explainer.snippet([], display, lang or title_lang),
                                  score=0.0, source=doc.get_first(S.SOURCE),
                                  why=[Reason(kind="uses", concept=iri)]))
        hits.sort(key=lambda h: h.title.lower())
        return SearchResponse(query=f"usecases:{iri}", total=result.count, page=1, size=len(hits), results=hits,
                              took_ms=round((time.perf_counter() - started) * 1000, 2))


def _is_iri(value: str) -> bool:
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def _must(scoring: tantivy.Query, filters: list[tantivy.Query]) -> tantivy.Query:
    """`scoring` decides the rank; filters only select (they add no score)."""
    parts = [(tantivy.Occur.Must, scoring)]
    parts += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
    return tantivy.Query.boolean_query(parts)
