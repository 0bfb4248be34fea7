"""Reading the searchable resources of one source out of the store.

Why it looks like this: Oxigraph decodes every string it returns through a dictionary lookup, so
reading back a large source costs per term returned, not per triple stored, and SPARQL-side
grouping or long IF chains cost more than they save (measured). The extraction therefore streams
`?s ?p ?o` rows restricted to the predicates search uses (`FILTER(?p IN (...))`), in the order the
store's type index gives them, which keeps each resource's rows together; a resource whose rows
come back split is re-read on its own and replaces the partial document, so the result does not
depend on that order. Nested values (distribution formats and licences, temporal coverage, inline
geometry, use-case data flows) come from one small query each, joined in memory.

Facts that come from other sources (a publisher's name, a place's geometry and country) are
resolved against the union of all sources and recorded in the document's `refs`, so the indexer
can re-index dependants when those facts change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pyoxigraph as ox

from ..namespaces import AGORA, DCAT, DCT, FOAF, RDFS, SKOS
from . import schema as S
from .geo import BBox, bbox_of_wkt

LOCN = "http://www.w3.org/ns/locn#"
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_COUNTRY = EU_AUTHORITY + "country/"
EU_THEME = EU_AUTHORITY + "data-theme/"
AGORA_SECTOR_SCHEME = "https://w3id.org/agora/sector"
EU_THEME_SCHEME = "http://publications.europa.eu/resource/authority/data-theme"

TYPES: dict[str, str] = {
    DCAT + "Dataset": S.DATASET,
    DCAT + "DataService": S.SERVICE,
    FOAF + "Organization": S.STAKEHOLDER,
    AGORA + "UseCase": S.USECASE,
    SKOS + "Concept": S.CONCEPT,
    AGORA + "LocalDigitalTwin": S.TWIN,
    AGORA + "DataSpace": S.DATASPACE,
}
"""rdf:type -> result type. Order matters: a resource with several of these types gets the first."""

# Predicates search reads, and the role each value plays in the document.
_PREDICATES: tuple[tuple[str, str], ...] = (
    (DCT + "title", "title"), (FOAF + "name", "title"), (SKOS + "prefLabel", "title"), (RDFS + "label", "title"),
    (DCAT + "keyword", "kw"), (SKOS + "altLabel", "kw"), (SKOS + "hiddenLabel", "kw"), (SKOS + "notation", "kw"),
    (DCT + "description", "body"), (SKOS + "definition", "body"), (AGORA + "goal", "body"),
    (RDFS + "comment", "body"), (SKOS + "scopeNote", "body"), (AGORA + "outcome", "body"),
    (DCAT + "theme", "theme"), (AGORA + "sector", "sector"), (DCT + "publisher", "publisher"),
    (DCT + "spatial", "spatial"), (AGORA + "city", "spatial"), (DCT + "modified", "modified"),
    (DCT + "issued", "issued"), (DCT + "license", "licence"), (DCT + "format", "format"),
    (AGORA + "usesDataset", "uses"), (AGORA + "fedBy", "uses"), (DCAT + "servesDataset", "uses"),
    (DCT + "identifier", "context"), (SKOS + "inScheme", "scheme"),
)
_ROLE_BY_IRI = dict(_PREDICATES)
_IN_LIST = ", ".join(f"<{iri}>" for iri, _role in _PREDICATES)
LATE_BATCH = 500


def _if_chain(var: str, codes: Iterable[tuple[int, str]]) -> str:
    expr = "0"
    for code, iri in reversed(list(codes)):
        expr = f"IF({var} = <{iri}>, {code}, {expr})"
    return expr


def rows_query(rdf_type: str, within: str = "") -> str:
    """The rows of every subject of the type, or of the subjects `within` selects (a slice)."""
    subjects = within or f"?s a <{rdf_type}> ."
    return f"SELECT ?s ?p ?o WHERE {{ {subjects} ?s ?p ?o . FILTER(isIRI(?s) && ?p IN ({_IN_LIST})) }}"


def _slice_pattern(rdf_type: str, earlier: list[str]) -> str:
    """Subjects of the type that no earlier type in `TYPES` claims (a resource is indexed once, as its
    first type): what `seen` does in one process, stated in the query so slices need no shared state."""
    others = " ".join(f"FILTER NOT EXISTS {{ ?s a <{t}> }}" for t in earlier)
    return f"?s a <{rdf_type}> . {others}"


def _within(query: str, within: str) -> str:
    """`query` restricted to the subjects (`?s`) that `within` selects."""
    return query.replace("WHERE {", "WHERE { " + within, 1) if within else query


def _rows_for(iris: list[str]) -> str:
    values = " ".join(f"<{i}>" for i in iris)
    return f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o . FILTER(?p IN ({_IN_LIST})) }}"


_DISTRIBUTIONS = f"""SELECT ?s ?f ?l WHERE {{ ?s <{DCAT}distribution> ?x .
  OPTIONAL {{ ?x <{DCT}format> ?f0 }} OPTIONAL {{ ?x <{DCAT}mediaType> ?m }} OPTIONAL {{ ?x <{DCT}license> ?l0 }}
  BIND(IF(BOUND(?f0) && isIRI(?f0), ?f0, IF(BOUND(?m) && isIRI(?m), ?m, ?none)) AS ?f)
  BIND(IF(BOUND(?l0) && isIRI(?l0), ?l0, ?none) AS ?l) FILTER(BOUND(?f) || BOUND(?l)) }}"""
"""Per distribution row: the format if it is an IRI, else the media type if that is one; the licence
if it is an IRI. Choosing inside the query spares decoding the terms that are not used."""
_TEMPORAL = f"""SELECT ?s ?a ?b WHERE {{ ?s <{DCT}temporal> ?x .
  OPTIONAL {{ ?x <{DCAT}startDate> ?a }} OPTIONAL {{ ?x <{DCAT}endDate> ?b }} }}"""
_INLINE_GEOMETRY = f"""SELECT ?s ?w WHERE {{ ?s <{DCT}spatial> ?x . FILTER(isBlank(?x))
  {{ ?x <{DCAT}bbox> ?w }} UNION {{ ?x <{DCAT}centroid> ?w }} UNION {{ ?x <{LOCN}geometry> ?w }} }}"""
_FLOWS = f"""SELECT ?s ?d WHERE {{ ?s <{AGORA}dataFlow> ?f . ?f <{AGORA}flowDataset> ?d }}"""
_FACT_CODES = ((1, FOAF + "name"), (2, SKOS + "prefLabel"), (3, DCT + "title"), (4, RDFS + "label"),
               (5, AGORA + "country"), (6, DCAT + "bbox"), (7, DCAT + "centroid"), (8, LOCN + "geometry"))
_DESCRIBED = "SELECT DISTINCT ?x WHERE { " + " UNION ".join(
    f"{{ ?x <{p}> ?v }}" for p in (FOAF + "name", AGORA + "country", DCAT + "bbox", DCAT + "centroid",
                                   LOCN + "geometry")) + " FILTER(isIRI(?x)) }"
_DESCRIBED_PLACES = f"""SELECT DISTINCT ?x WHERE {{ ?x a <{DCT}Location> . FILTER(isIRI(?x)) }}"""


@dataclass
class Facts:
    """What search uses about a resource described anywhere: labels, country, coverage box."""

    labels: list[tuple[str, str | None]] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    bbox: BBox | None = None
    _declared: bool = False

    def add_box(self, box: BBox, *, declared: bool) -> None:
        """A declared dcat:bbox wins over boxes derived from centroids or geometries."""
        if declared and not self._declared:
            self.bbox, self._declared = box, True
        elif declared == self._declared:
            self.bbox = box if self.bbox is None else self.bbox.union(box)

    def fingerprint(self) -> str:
        parts = sorted(f"{t}@{lang or ''}" for t, lang in self.labels) + sorted(self.countries)
        if self.bbox is not None:
            parts.append(",".join(f"{v:.6f}" for v in self.bbox.to_list()))
        return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


@dataclass
class IndexDoc:
    """One searchable resource, ready to become a tantivy document."""

    iri: str
    type: str
    source: str
    titles: list[tuple[str, str | None]] = field(default_factory=list)
    keywords: list[tuple[str, str | None]] = field(default_factory=list)
    bodies: list[tuple[str, str | None]] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    themes: set[str] = field(default_factory=set)
    sectors: set[str] = field(default_factory=set)
    schemes: set[str] = field(default_factory=set)
    publishers: set[str] = field(default_factory=set)
    spatial: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=set)
    licences: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    modified: datetime | None = None
    issued: datetime | None = None
    t_start: datetime | None = None
    t_end: datetime | None = None
    bbox: BBox | None = None
    has_inline_spatial: bool = False
    replaces: bool = False
    """Supersedes a partial document yielded earlier for the same IRI (see Extractor._stream)."""

    @property
    def refs(self) -> set[str]:
        return self.publishers | {s for s in self.spatial if not s.startswith(EU_COUNTRY)}


def parse_date(text: str, *, end: bool = False) -> datetime | None:
    """xsd:date / dateTime / gYear lexical forms to an aware UTC datetime (None if unreadable)."""
    text = text.strip()
    try:
        if len(text) == 4 and text.isdigit():
            return datetime(int(text), 12, 31, tzinfo=UTC) if end else datetime(int(text), 1, 1, tzinfo=UTC)
        if "T" in text:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        day = date.fromisoformat(text[:10])
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    except ValueError:
        return None


class Extractor:
    """Reads one source's searchable resources (and the cross-source facts they depend on)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._facts: dict[str, Facts] = {}

    # -- the union of all sources, for facts described elsewhere -------------------------------
    def facts(self, iris: Iterable[str]) -> dict[str, Facts]:
        """Facts about these IRIs from every source (cached for the lifetime of this extractor)."""
        missing = [i for i in set(iris) if i not in self._facts]
        chain = _if_chain("?p", _FACT_CODES)
        graphs = self.store.public_physical_graphs()
        for start in range(0, len(missing), 400):
            batch = missing[start:start + 400]
            for iri in batch:
                self._facts[iri] = Facts()
            values = " ".join(f"<{i}>" for i in batch)
            query = (f"SELECT ?x ?k ?v WHERE {{ VALUES ?x {{ {values} }} ?x ?p ?v . BIND({chain} AS ?k) "
                     f"FILTER(?k > 0) }}")
            for row in self.store.ox.query(query, default_graph=graphs):
                facts = self._facts[row[0].value]
                code = int(row[1].value)
                v = row[2]
                if code <= 4 and isinstance(v, ox.Literal):
                    facts.labels.append((v.value, S.base_language(v.language)))
                elif code == 5 and isinstance(v, ox.NamedNode):
                    facts.countries.append(v.value)
                elif code >= 6 and isinstance(v, ox.Literal):
                    box = bbox_of_wkt(v.value)
                    if box is not None:
                        facts.add_box(box, declared=code == 6)
        return {i: self._facts[i] for i in iris}

    def described(self, graph: ox.NamedNode, data: Any = None) -> set[str]:
        """IRIs this source describes with facts other sources' documents may use (`data`: where the
        source's graph is read, the store by default)."""
        out: set[str] = set()
        for query in (_DESCRIBED, _DESCRIBED_PLACES):
            out.update(row[0].value for row in (data or self.store.ox).query(query, default_graph=[graph]))
        return out

    # -- one source -------------------------------------------------------------------------------
    def documents(self, source: str, graph: ox.NamedNode, *, concept_filter: set[str] | None = None,
                  data: Any = None, part: tuple[int, int] | None = None) -> Iterator[IndexDoc]:
        """Every searchable resource of the source. `concept_filter`, when given, keeps only concepts
        in those schemes (background vocabularies: a file-type code is not a search result).
        A document with `replaces` set supersedes one yielded earlier for the same IRI.
        `data`: where the source's graph is read (the store by default).
        `part=(i, n)`: only the i-th of n slices of each type's subjects (see `parallel.py`); the n
        parts together give the same documents as the whole, each resource in exactly one part."""
        data = data or self.store.ox
        seen: set[str] = set()
        sides: dict[str, _Side] = {}
        for k, (rdf_type, doc_type) in enumerate(TYPES.items()):
            within = ""
            if part is not None:
                within = self._slice(data, graph, rdf_type, list(TYPES)[:k], part)
                if within is None:
                    continue
                sides = {}  # nested values of this slice's subjects only
            side_kind = _SIDE_KINDS.get(doc_type)
            batch: list[IndexDoc] = []
            for doc in self._stream(source, graph, rdf_type, doc_type, seen, data, within):
                if doc_type == S.CONCEPT and concept_filter is not None and not doc.schemes & concept_filter:
                    continue
                if side_kind is not None:
                    side = sides.get(side_kind)
                    if side is None:  # read on first use: most sources have no use cases, say
                        side = sides[side_kind] = self._side_data(graph, side_kind, data, within)
                    side.apply(doc)
                batch.append(doc)
                if len(batch) >= 5000:
                    yield from self._finish(batch)
                    batch = []
            yield from self._finish(batch)

    @staticmethod
    def _slice(data: Any, graph: ox.NamedNode, rdf_type: str, earlier: list[str],
               part: tuple[int, int]) -> str | None:
        """A subquery selecting the `part`'s share of the type's subjects (None when it is empty).

        Slices are OFFSET/LIMIT windows over one subquery: every process reading the same
        checkpoint gets the subjects in the same (index) order, so the windows are disjoint and
        cover all; `parallel.py` checks that no IRI arrives twice."""
        i, n = part
        pattern = _slice_pattern(rdf_type, earlier)
        rows = data.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", default_graph=[graph])
        total = int(next(iter(rows))[0].value)
        lo, hi = total * i // n, total * (i + 1) // n
        if hi <= lo:
            return None
        return f"{{ SELECT ?s WHERE {{ {pattern} }} OFFSET {lo} LIMIT {hi - lo} }}"

    def _finish(self, docs: list[IndexDoc]) -> list[IndexDoc]:
        self._resolve_refs(docs)
        for doc in docs:
            if len(doc.context) > 1:
                doc.context = list(dict.fromkeys(doc.context))
        return docs

    def _stream(self, source: str, graph: ox.NamedNode, rdf_type: str, doc_type: str,
                seen: set[str], data: Any, within: str = "") -> Iterator[IndexDoc]:
        """Documents from the rows of one type, one per run of rows with the same subject; subjects
        met again after their run are re-read whole at the end (and replace the partial document).

        This loop runs once per stored value (over a million times for 100k datasets), so it does
        as little as possible per row: one string comparison to detect a new subject, one dict
        lookup for what the predicate means, and `_apply` (no per-row role-name comparisons)."""
        mine: set[str] = set()
        late: set[str] = set()
        doc: IndexDoc | None = None
        current: str | None = None
        plans = _PLANS
        apply = _apply
        for s, p, o in data.query(rows_query(rdf_type, within), default_graph=[graph]):
            iri = s.value
            if iri != current:
                current = iri
                if doc is not None:
                    yield doc
                    doc = None
                if iri in mine:
                    late.add(iri)
                    continue
                if iri in seen:  # already a document of an earlier type
                    continue
                seen.add(iri)
                mine.add(iri)
                doc = IndexDoc(iri=iri, type=doc_type, source=source)
            elif doc is None:  # the rest of a run that is skipped (or re-read at the end)
                continue
            apply(doc, plans[p.value], o)
        if doc is not None:
            yield doc
        late_list = sorted(late)
        for start in range(0, len(late_list), LATE_BATCH):
            batch = late_list[start:start + LATE_BATCH]
            docs = {iri: IndexDoc(iri=iri, type=doc_type, source=source, replaces=True) for iri in batch}
            for s, p, o in data.query(_rows_for(batch), default_graph=[graph]):
                apply(docs[s.value], plans[p.value], o)
            yield from docs.values()

    def _side_data(self, graph: ox.NamedNode, kind: str, data: Any, within: str = "") -> _Side:
        """Nested values of every subject in the graph that has them, read once per source (or of
        the subjects of one slice, `within`).

        The queries do not join on the subject's type: the values are only applied to documents
        of the types that take them (`_SIDE_KINDS`), whose subjects have that type, so the result is
        the same as a per-type query, while the join cost more than the rest of the query and was
        paid again for each type."""
        side = _Side()

        def query(text: str, default_graph: list[ox.NamedNode]) -> Any:
            return data.query(_within(text, within), default_graph=default_graph)

        if kind == "dataset":
            formats, licences = side.formats, side.licences
            for subject, fmt, lic in query(_DISTRIBUTIONS, default_graph=[graph]):
                iri = subject.value
                if fmt is not None:
                    formats.setdefault(iri, set()).add(fmt.value)
                if lic is not None:
                    licences.setdefault(iri, set()).add(lic.value)
            for row in query(_TEMPORAL, default_graph=[graph]):
                start = parse_date(row[1].value) if row[1] is not None else None
                end = parse_date(row[2].value, end=True) if row[2] is not None else None
                side.periods.setdefault(row[0].value, []).append((start, end))
            for row in query(_INLINE_GEOMETRY, default_graph=[graph]):
                box = bbox_of_wkt(row[1].value)
                if box is not None:
                    iri = row[0].value
                    side.boxes[iri] = box if iri not in side.boxes else side.boxes[iri].union(box)
        elif kind == "usecase":
            for row in query(_FLOWS, default_graph=[graph]):
                if isinstance(row[1], ox.NamedNode):
                    side.uses.setdefault(row[0].value, set()).add(row[1].value)
        return side

    def _resolve_refs(self, docs: Iterable[IndexDoc]) -> None:
        docs = list(docs)
        refs: set[str] = set()
        for doc in docs:
            refs |= doc.refs
        facts = self.facts(refs)
        for doc in docs:
            for iri in doc.spatial:
                if iri.startswith(EU_COUNTRY):
                    doc.countries.add(iri)
            for iri in doc.refs:
                f = facts[iri]
                doc.context.extend(text for text, _ in f.labels)
                if iri in doc.spatial:
                    doc.countries.update(f.countries)
                    if f.bbox is not None:
                        doc.bbox = f.bbox if doc.bbox is None else doc.bbox.union(f.bbox)


# What each predicate's value does to a document: (kind, IndexDoc attribute).
_TEXT, _CONTEXT, _DATE, _IRI = range(4)
_KIND_BY_ROLE: dict[str, tuple[int, str]] = {
    "title": (_TEXT, "titles"), "kw": (_TEXT, "keywords"), "body": (_TEXT, "bodies"), "context": (_CONTEXT, "context"),
    "modified": (_DATE, "modified"), "issued": (_DATE, "issued"), "theme": (_IRI, "themes"),
    "sector": (_IRI, "sectors"), "publisher": (_IRI, "publishers"), "spatial": (_IRI, "spatial"),
    "licence": (_IRI, "licences"), "format": (_IRI, "formats"), "uses": (_IRI, "uses"), "scheme": (_IRI, "schemes"),
}
_PLANS: dict[str, tuple[int, str]] = {iri: _KIND_BY_ROLE[role] for iri, role in _PREDICATES}
_SIDE_KINDS = {S.DATASET: "dataset", S.SERVICE: "dataset", S.USECASE: "usecase"}
"""Which nested values a document type takes: distributions, periods and inline geometry for
datasets and services, data flows for use cases."""
_LANG_BASES: dict[str | None, str | None] = {}
_Literal, _NamedNode = ox.Literal, ox.NamedNode


def _base_language(tag: str | None) -> str | None:
    """`S.base_language`, memoised: a source has a handful of language tags and millions of literals."""
    try:
        return _LANG_BASES[tag]
    except KeyError:
        base = _LANG_BASES[tag] = S.base_language(tag)
        return base


def _apply(doc: IndexDoc, plan: tuple[int, str], o: Any) -> None:
    """Put one value where its predicate's role says: text needs a literal, facets need an IRI,
    and a blank node as a place marks inline geometry."""
    kind, attr = plan
    cls = type(o)
    if cls is _Literal:
        if kind == _TEXT:
            value = o.value
            if value.strip():
                getattr(doc, attr).append((value, _base_language(o.language)))
        elif kind == _CONTEXT:
            doc.context.append(o.value)
        elif kind == _DATE:
            when = parse_date(o.value)
            if when is not None:
                current = getattr(doc, attr)
                setattr(doc, attr, when if current is None else max(current, when))
    elif cls is _NamedNode:
        if kind == _IRI:
            getattr(doc, attr).add(o.value)
    elif attr == "spatial":
        doc.has_inline_spatial = True


def _apply_term(doc: IndexDoc, role: str, o: Any) -> None:
    """Put one value where its predicate's role (a name from `_PREDICATES`) says."""
    _apply(doc, _KIND_BY_ROLE[role], o)


@dataclass
class _Side:
    """Nested values of one type's resources, by subject IRI."""

    formats: dict[str, set[str]] = field(default_factory=dict)
    licences: dict[str, set[str]] = field(default_factory=dict)
    periods: dict[str, list[tuple[datetime | None, datetime | None]]] = field(default_factory=dict)
    boxes: dict[str, BBox] = field(default_factory=dict)
    uses: dict[str, set[str]] = field(default_factory=dict)

    def apply(self, doc: IndexDoc) -> None:
        doc.formats |= self.formats.get(doc.iri, set())
        doc.licences |= self.licences.get(doc.iri, set())
        doc.uses |= self.uses.get(doc.iri, set())
        for start, end in self.periods.get(doc.iri, ()):
            if start is not None:
                doc.t_start = start if doc.t_start is None else min(doc.t_start, start)
            if end is not None:
                doc.t_end = end if doc.t_end is None else max(doc.t_end, end)
        box = self.boxes.get(doc.iri)
        if box is not None:
            doc.bbox = box if doc.bbox is None else doc.bbox.union(box)
