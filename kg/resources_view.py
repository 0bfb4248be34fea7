"""Store-side views of one resource, for the HTML resource pages and their RDF twins.

A person looking at an IRI wants its label in their language, every statement about it, what
links to it, and the handful of relations that matter for its kind (a dataset's distributions,
a use case's data flows...). This module gathers all of that from the public source graphs
(never the internal ones) into plain dataclasses; the API layer only renders them. It reads
with pattern lookups rather than SPARQL text so that no user-given IRI is ever pasted into a
query, and it restores literals to the forms that were loaded, like export does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .fidelity import Canonicaliser, CasedLangLiteral, canonicaliser_for, decode, stored_key
from .namespaces import AGORA, DCAT, DCT, FOAF, ODRL, ORG, PREFIXES, RDF, RDFS, SKOS, VCARD
from .registry import SourceInfo

LANGUAGES = ("en", "da", "sv", "nl", "it", "de")
"""Languages the pages offer; labels fall back from the chosen one to English, then to any."""

LABEL_PREDICATES = [SKOS + "prefLabel", DCT + "title", FOAF + "name", RDFS + "label", VCARD + "fn"]
DESCRIPTION_PREDICATES = [DCT + "description", SKOS + "definition", RDFS + "comment"]
RDF_TYPE = ox.NamedNode(RDF + "type")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
MAX_INCOMING = 100
MAX_VALUES = 100
"""Values of one property shown on a page (a catalog's dcat:dataset links: the first 100 of 10^5)."""

KIND_TYPES: dict[str, tuple[str, ...]] = {
    "dataset": (DCAT + "Dataset",),
    "service": (DCAT + "DataService",),
    "catalog": (DCAT + "Catalog",),
    "stakeholder": (FOAF + "Organization", FOAF + "Agent", ORG + "Organization", FOAF + "Person"),
    "usecase": (AGORA + "UseCase",),
    "concept": (SKOS + "Concept",),
    "scheme": (SKOS + "ConceptScheme",),
    "place": (DCT + "Location",),
    "policy": (ODRL + "Policy", ODRL + "Set", ODRL + "Offer", ODRL + "Agreement"),
    "twin": (AGORA + "LocalDigitalTwin",),
}


def nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def curie(iri: str) -> str:
    """`dct:title` for a known namespace, else the IRI itself (people read prefixes faster)."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best = ns
            name = prefix
    return f"{name}:{iri[len(best):]}" if best else iri


def local_name(iri: str) -> str:
    """The last path segment or fragment: the least bad label for an IRI nobody labelled."""
    tail = iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]
    return tail or iri


def humanize(iri: str) -> str:
    """`accrualPeriodicity` -> `accrual periodicity`, for properties without an rdfs:label."""
    name = local_name(iri)
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append(" ")
        out.append(ch.lower() if ch.isupper() and i and i + 1 < len(name) and name[i + 1].islower() else ch)
    return "".join(out).replace("_", " ")


def lang_of(term: object) -> str | None:
    if isinstance(term, CasedLangLiteral):
        return term.language
    if isinstance(term, ox.Literal) and term.language:
        return term.language
    return None


def pick_literal(literals: Iterable[object], lang: str) -> object | None:
    """The literal to show for `lang`: exact tag, then its region variants, then English, untagged, any."""
    items = list(literals)
    if not items:
        return None

    def rank(t: object) -> tuple[int, str]:
        tag = (lang_of(t) or "").lower()
        if tag == lang:
            return (0, tag)
        if tag.split("-")[0] == lang:
            return (1, tag)
        if tag == "en" or tag.startswith("en-"):
            return (2, tag)
        if not tag:
            return (3, tag)
        return (4, tag)

    return min(items, key=rank)


class Graphs:
    """Pattern lookups over the public source graphs (the union SPARQL sees, system sources included)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.sources: list[SourceInfo] = store.sources()
        self.graphs = [s.physical for s in self.sources]

    def quads(self, s: object = None, p: object = None, o: object = None) -> Iterator[ox.Quad]:
        for g in self.graphs:
            yield from self.store.ox.quads_for_pattern(s, p, o, g)

    def objects(self, s: object, p: str) -> list[Any]:
        return list(dict.fromkeys(q.object for q in self.quads(s, nn(p), None)))

    def subjects(self, p: str, o: object, limit: int | None = None) -> list[Any]:
        found = (q.subject for q in self.quads(None, nn(p), o))
        return list(dict.fromkeys(found if limit is None else itertools.islice(found, limit)))

    def many_subjects(self, preds: list[str], o: object, cap: int) -> tuple[list[Any], int]:
        """The first `cap` subjects pointing at `o` along any of `preds`, and how many there are in all.

        A sector or an EU theme tags 10^4 datasets at 10^5; reading them all costs half a second, so
        only the first ones are read and the rest are counted in the store.
        """
        found: list[Any] = []
        for p in preds:
            found += self.subjects(p, o, limit=cap + 1)
        found = list(dict.fromkeys(found))
        if len(found) <= cap:
            return found, len(found)
        branches = " UNION ".join(f"{{ ?s <{p}> {o} }}" for p in preds)
        rows = self.store.ox.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {branches} }}",
                                   default_graph=self.graphs)
        return found[:cap], int(next(iter(rows))[0].value)

    def types(self, s: object) -> list[str]:
        return list(dict.fromkeys(t.value for t in self.objects(s, RDF + "type") if isinstance(t, ox.NamedNode)))

    def has(self, s: object = None, p: object = None, o: object = None) -> bool:
        return any(True for _ in self.quads(s, p, o))


class Labeler:
    """Labels in one language for many IRIs, fetched in batches and cached for one page."""

    def __init__(self, store: Any, lang: str, graphs: Graphs | None = None) -> None:
        self.store = store
        self.lang = lang
        self.graphs = graphs or Graphs(store)
        self._cache: dict[str, tuple[str, str | None]] = {}

    def prefetch(self, iris: Iterable[str]) -> None:
        todo = [i for i in dict.fromkeys(iris) if i not in self._cache]
        for start in range(0, len(todo), 400):
            self._fetch(todo[start:start + 400])

    def _fetch(self, iris: list[str]) -> None:
        found: dict[str, dict[str, list[object]]] = {i: {} for i in iris}
        values = " ".join(str(nn(i)) for i in iris)
        # One UNION branch per label predicate, so every lookup has subject and predicate bound. Measured
        # at 10^5 datasets: a second VALUES block for ?p makes Oxigraph scan (0.3 s for ten IRIs), and
        # `?s ?p ?l FILTER(?p IN ...)` reads every triple of the subject (90 ms for a catalog's 10^5
        # dcat:dataset links); this form takes 0.2 ms for a few IRIs and 65 ms for 400.
        branches = " UNION ".join(f"{{ ?s <{p}> ?l BIND(<{p}> AS ?p) }}" for p in LABEL_PREDICATES)
        text = f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {values} }} {branches} }}"
        for row in self.store.ox.query(text, default_graph=self.graphs.graphs):
            if isinstance(row["l"], ox.Literal):
                found[row["s"].value].setdefault(row["p"].value, []).append(row["l"])
        for iri, by_pred in found.items():
            self._cache[iri] = self._choose(iri, by_pred)

    def _choose(self, iri: str, by_pred: dict[str, list[object]]) -> tuple[str, str | None]:
        candidates: list[object] = []
        for p in LABEL_PREDICATES:
            candidates.extend(by_pred.get(p, []))
        chosen = pick_literal(candidates, self.lang)
        if chosen is None:
            return local_name(iri), None
        # Prefer the first predicate that has the winning language, so skos:prefLabel beats rdfs:label.
        want = lang_of(chosen)
        for p in LABEL_PREDICATES:
            for lit in by_pred.get(p, []):
                if lang_of(lit) == want:
                    return lit.value, want  # type: ignore[attr-defined]
        return chosen.value, want  # type: ignore[attr-defined]

    def label(self, iri: str) -> str:
        return self.label_lang(iri)[0]

    def label_lang(self, iri: str) -> tuple[str, str | None]:
        if iri not in self._cache:
            self._fetch([iri])
        return self._cache[iri]

    def property_label(self, iri: str) -> str:
        label, lang = self.label_lang(iri)
        return label if lang is not None else humanize(iri)


# -- terms for display -------------------------------------------------------------------------------
@dataclass
class Term:
    """One RDF term ready for a template: a link with a label, a literal with its tag, or a nested node."""

    kind: str
    """'iri', 'literal' or 'bnode'."""
    value: str
    label: str = ""
    lang: str | None = None
    datatype: str | None = None
    props: list[Prop] = field(default_factory=list)
    """For blank nodes: their own statements, shown nested."""

    @property
    def datatype_curie(self) -> str:
        return curie(self.datatype) if self.datatype else ""


@dataclass
class Prop:
    iri: str
    label: str
    values: list[Term]
    total: int = 0
    """How many values the resource has for the property (more than `values` when the page shows only some)."""

    @property
    def curie(self) -> str:
        return curie(self.iri)


def term_view(term: object, labels: Labeler) -> Term:
    if isinstance(term, ox.NamedNode):
        label, lang = labels.label_lang(term.value)
        return Term("iri", term.value, label, lang=lang)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value, "")
    if isinstance(term, CasedLangLiteral):
        return Term("literal", term.value, term.value, lang=term.language)
    if isinstance(term, ox.Literal):
        dt = None if term.language or term.datatype.value == XSD_STRING else term.datatype.value
        return Term("literal", term.value, term.value, lang=term.language or None, datatype=dt)
    return Term("literal", str(term), str(term))


def links(terms: Iterable[object], labels: Labeler) -> list[Term]:
    """IRIs as labelled links, sorted by label (lists of datasets, participants, concepts...)."""
    iris = [t.value for t in terms if isinstance(t, ox.NamedNode)]
    labels.prefetch(iris)
    return sorted((term_view(nn(i), labels) for i in dict.fromkeys(iris)), key=lambda t: t.label.lower())


def is_known(store: Any, iri: str) -> bool:
    """Whether any public source says something about the IRI or points at it (else: 404)."""
    node = nn(iri)
    for g in store.public_physical_graphs():
        if any(True for _ in store.ox.quads_for_pattern(node, None, None, g)):
            return True
        if any(True for _ in store.ox.quads_for_pattern(None, None, node, g)):
            return True
    return False


# -- the description (CBD) ---------------------------------------------------------------------------
def predicate_counts(store: Any, iri: str) -> dict[str, int]:
    """How many values the resource has per property, over all sources (one grouped count in the store)."""
    text = f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {nn(iri)} ?p ?o }} GROUP BY ?p"
    return {row[0].value: int(row[1].value) for row in
            store.ox.query(text, default_graph=store.public_physical_graphs())}


def description_triples(store: Any, iri: str, *, per_property: int | None = None,
                        counts: dict[str, int] | None = None) -> list[tuple[object, object, object]]:
    """The resource's statements as loaded: its outgoing triples plus the blank nodes they reach (CBD).

    Each source graph is read with its own fidelity records, so literals come back in their
    original form ("012"^^xsd:nonNegativeInteger stays so), exactly as `/store` would export them.
    With `per_property` (and the resource's `counts`), at most that many values of each of the
    resource's own properties are read: a page shows a catalog's first links to its 10^5 datasets
    without reading all of them (which alone takes a second).
    """
    node = nn(iri)
    capped = per_property is not None and counts is not None and any(n > per_property for n in counts.values())
    out: dict[tuple[object, object, object], None] = {}
    canon = canonicaliser_for(store.ox)
    for info in store.sources():
        todo: list[object] = [node]
        seen: set[object] = set()
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            if capped and s == node:
                assert counts is not None and per_property is not None
                quads: Iterable[ox.Quad] = itertools.chain.from_iterable(
                    itertools.islice(store.ox.quads_for_pattern(s, nn(p), None, info.physical), per_property)
                    for p in counts)
            else:
                quads = store.ox.quads_for_pattern(s, None, None, info.physical)
            originals: dict[tuple[str, object], list[object]] | None = None
            for q in quads:
                if originals is None:
                    originals = _originals(store, s, info.fidelity, canon)
                o = q.object
                for restored in originals.get((q.predicate.value, o), [o]) if isinstance(o, ox.Literal) else [o]:
                    out[(q.subject, q.predicate, restored)] = None
                if isinstance(o, ox.BlankNode):
                    todo.append(o)
    return list(out)


def _originals(store: Any, subject: object, fidelity: ox.NamedNode,
               canon: Canonicaliser) -> dict[tuple[str, object], list[object]]:
    """The loaded forms of one subject's rewritten literals: (predicate, stored literal) -> originals.

    Only this subject's fidelity records are read. store.restorer() would read the source's whole
    fidelity graph (4*10^5 dates at 10^5 datasets: five seconds and 1.3 million objects in memory
    for the first page of a source, and long garbage-collector pauses after).
    """
    found: dict[tuple[str, object], list[object]] = {}
    for q in store.ox.quads_for_pattern(subject, None, None, fidelity):
        original = decode(q.object)
        found.setdefault((q.predicate.value, stored_key(original, canon)), []).append(original)
    return found


def _props(subject: object, triples: list[tuple[object, object, object]], labels: Labeler, lang: str,
           depth: int = 0, counts: dict[str, int] | None = None) -> list[Prop]:
    by_pred: dict[str, list[object]] = {}
    for s, p, o in triples:
        if s == subject:
            by_pred.setdefault(p.value, []).append(o)  # type: ignore[attr-defined]
    labels.prefetch([*by_pred, *(o.value for vs in by_pred.values() for o in vs if isinstance(o, ox.NamedNode))])
    props = []
    for p, values in by_pred.items():
        terms = []
        for o in values:
            t = term_view(o, labels)
            if isinstance(o, ox.BlankNode) and depth < 6:
                t.props = _props(o, triples, labels, lang, depth + 1)
            terms.append(t)
        # the chosen language first, then the rest in a stable order
        terms.sort(key=lambda t: (t.kind != "literal" or (t.lang or "").split("-")[0] != lang,
                                  t.kind, t.lang or "", t.label.lower()))
        props.append(Prop(p, labels.property_label(p), terms, max(len(terms), (counts or {}).get(p, 0))))
    order = {RDF + "type": 0, **{p: 1 for p in LABEL_PREDICATES}, **{p: 2 for p in DESCRIPTION_PREDICATES}}
    props.sort(key=lambda pr: (order.get(pr.iri, 3), pr.curie))
    return props


# -- incoming links ----------------------------------------------------------------------------------
@dataclass
class Incoming:
    """Resources that point at this one along the same property path (blank nodes looked through)."""

    path: list[Prop]
    subjects: list[Term]
    total: int
    more: bool = False
    """True when the page stopped collecting at MAX_INCOMING links: there are more than `total`."""


def incoming(graphs: Graphs, iri: str, labels: Labeler, limit: int | None = None) -> list[Incoming]:
    limit = MAX_INCOMING if limit is None else limit
    groups: dict[tuple[str, ...], list[str]] = {}
    count = 0
    stopped = False
    for q in graphs.quads(None, None, nn(iri)):
        if count >= limit:
            stopped = True
            break
        for owner, path in _owners(graphs, q.subject, [q.predicate.value]):
            if owner == iri:  # odrl:uid and other self-references say nothing new
                continue
            groups.setdefault(tuple(path), [])
            if owner not in groups[tuple(path)]:
                groups[tuple(path)].append(owner)
                count += 1
    labels.prefetch([*(p for path in groups for p in path), *(s for subs in groups.values() for s in subs)])
    out = []
    for path, subjects in groups.items():
        terms = sorted((term_view(nn(s), labels) for s in subjects), key=lambda t: t.label.lower())
        out.append(Incoming([Prop(p, labels.property_label(p), []) for p in path], terms, len(terms), stopped))
    out.sort(key=lambda g: (-g.total, g.path[0].curie))
    return out


def _owners(graphs: Graphs, subject: object, path: list[str], depth: int = 0) -> list[tuple[str, list[str]]]:
    """Climb from a blank node to the IRIs that own it (a participation to its use case)."""
    if isinstance(subject, ox.NamedNode):
        return [(subject.value, path)]
    if depth >= 4:
        return []
    found = []
    for q in graphs.quads(None, None, subject):
        found.extend(_owners(graphs, q.subject, [q.predicate.value, *path], depth + 1))
    return found


# -- the whole view ----------------------------------------------------------------------------------
@dataclass
class ResourceView:
    iri: str
    label: str
    label_lang: str | None
    description: str | None
    description_lang: str | None
    types: list[Term]
    kinds: list[str]
    props: list[Prop]
    incoming: list[Incoming]
    described_in: list[SourceInfo]
    source: SourceInfo | None = None
    """Set when the IRI names a source graph."""
    sections: dict[str, Any] = field(default_factory=dict)


def kinds_for(types: Iterable[str]) -> list[str]:
    ts = set(types)
    return [k for k, classes in KIND_TYPES.items() if ts.intersection(classes)]


def build_view(store: Any, iri: str, lang: str) -> ResourceView | None:
    """Everything the resource page shows, or None when the store knows nothing about the IRI."""
    graphs = Graphs(store)
    labels = Labeler(store, lang, graphs)
    node = nn(iri)
    counts = predicate_counts(store, iri)
    triples = description_triples(store, iri, per_property=MAX_VALUES, counts=counts)
    source = store.get(iri) if ":" in iri else None
    described_in = [s for s in graphs.sources
                    if any(True for _ in store.ox.quads_for_pattern(node, None, None, s.physical))]
    inc = incoming(graphs, iri, labels)
    if not triples and not inc and source is None:
        return None
    types = [t.value for s, p, t in triples if s == node and p == RDF_TYPE and isinstance(t, ox.NamedNode)]
    labels.prefetch([iri, *types])
    label, label_lang = labels.label_lang(iri)
    if source is not None and label_lang is None:
        label = f"Source {source.name}"
    desc = pick_literal([o for s, p, o in triples if s == node and p.value in DESCRIPTION_PREDICATES  # type: ignore
                         and isinstance(o, ox.Literal | CasedLangLiteral)], lang)
    view = ResourceView(
        iri=iri, label=label, label_lang=label_lang,
        description=desc.value if desc is not None else None,  # type: ignore[attr-defined]
        description_lang=lang_of(desc), types=links([nn(t) for t in types], labels),
        kinds=kinds_for(types), props=_props(node, triples, labels, lang, counts=counts), incoming=inc,
        described_in=described_in, source=source)
    builders = {"dataset": dataset_section, "service": service_section, "stakeholder": stakeholder_section,
                "usecase": usecase_section, "concept": concept_section, "scheme": scheme_section,
                "place": place_section, "policy": policy_section, "twin": twin_section}
    for kind in view.kinds:
        if kind in builders:
            view.sections[kind] = builders[kind](graphs, node, labels)
    return view


# -- specialised sections ----------------------------------------------------------------------------
# Each returns a dict of lists of Terms (or small dataclasses) for one kind of resource. They follow
# links in both directions, because the data says "dataset odrl:hasPolicy policy" in one file and
# "use case agora:usesDataset dataset" in another, and a reader wants both on the dataset's page.

@dataclass
class Flow:
    """One agora:DataFlow: which dataset goes from whom to whom, under which policy, for what."""

    dataset: Term | None
    provider: Term | None
    recipient: Term | None
    policy: Term | None
    purpose: Term | None
    usecase: Term | None = None


@dataclass
class Constraint:
    left: Term | None
    operator: Term | None
    right: list[Term]
    members: list[Constraint] = field(default_factory=list)
    logic: str = ""
    """For logical constraints (odrl:and, odrl:or, odrl:xone): the operator's name."""


@dataclass
class Rule:
    kind: str
    actions: list[Term]
    targets: list[Term]
    assigners: list[Term]
    assignees: list[Term]
    constraints: list[Constraint]
    duties: list[Rule] = field(default_factory=list)


@dataclass
class Grouped:
    """Related resources grouped by their kind (datasets, use cases...), for 'tagged with' lists."""

    kind: str
    items: list[Term]


def _first(g: Graphs, s: object, p: str, labels: Labeler) -> Term | None:
    values = g.objects(s, p)
    if not values:
        return None
    iris = [v for v in values if isinstance(v, ox.NamedNode)]
    return term_view(iris[0] if iris else values[0], labels)


def _flow(g: Graphs, f: object, labels: Labeler, with_usecase: bool = False) -> Flow:
    uc = None
    if with_usecase:
        owners = g.subjects(AGORA + "dataFlow", f)
        uc = term_view(owners[0], labels) if owners else None
    return Flow(_first(g, f, AGORA + "flowDataset", labels), _first(g, f, AGORA + "provider", labels),
                _first(g, f, AGORA + "recipient", labels), _first(g, f, AGORA + "governedBy", labels),
                _first(g, f, AGORA + "purpose", labels), uc)


KIND_NAMES = {"dataset": "Datasets", "service": "Data services", "catalog": "Catalogues",
              "stakeholder": "Stakeholders", "usecase": "Use cases", "concept": "Concepts",
              "scheme": "Concept schemes", "place": "Places", "policy": "Policies", "twin": "Local digital twins"}


GROUP_CAP = 100
"""Related resources listed by kind on a page (the total is shown when there are more)."""


def grouped(g: Graphs, nodes: Iterable[object], labels: Labeler, cap: int = GROUP_CAP) -> list[Grouped]:
    by_kind: dict[str, list[object]] = {}
    for n in list(dict.fromkeys(nodes))[:cap]:
        if not isinstance(n, ox.NamedNode):
            continue
        kinds = kinds_for(g.types(n))
        by_kind.setdefault(kinds[0] if kinds else "other", []).append(n)
    order = [*KIND_NAMES, "other"]
    return [Grouped(KIND_NAMES.get(k, "Other resources"), links(by_kind[k], labels))
            for k in sorted(by_kind, key=order.index)]


def policies_about(g: Graphs, node: object, role: str) -> list[object]:
    """Policies with a rule whose `role` (odrl:target, odrl:assignee...) is `node`, or the policy itself."""
    found: list[object] = []
    for r in g.subjects(ODRL + role, node):
        if kinds_for(g.types(r)) == ["policy"] and isinstance(r, ox.NamedNode):
            found.append(r)
            continue
        for rel in ("permission", "prohibition", "obligation"):
            found.extend(g.subjects(ODRL + rel, r))
    return found


def dataset_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    dists = []
    for d in g.objects(node, DCAT + "distribution"):
        title = pick_literal(g.objects(d, DCT + "title"), labels.lang)
        dists.append({
            "node": term_view(d, labels),
            "title": title.value if title is not None else (labels.label(d.value) if isinstance(d, ox.NamedNode)
                                                              else "Distribution"),
            "formats": links(g.objects(d, DCT + "format") + g.objects(d, DCAT + "mediaType"), labels),
            "access": [t.value for t in g.objects(d, DCAT + "accessURL") if isinstance(t, ox.NamedNode)],
            "download": [t.value for t in g.objects(d, DCAT + "downloadURL") if isinstance(t, ox.NamedNode)],
            "licence": links(g.objects(d, DCT + "license"), labels),
        })
    usecases = g.subjects(AGORA + "usesDataset", node)
    for f in g.subjects(AGORA + "flowDataset", node):
        usecases += g.subjects(AGORA + "dataFlow", f)
    return {
        "distributions": dists,
        "publisher": links(g.objects(node, DCT + "publisher"), labels),
        "themes": links(g.objects(node, DCAT + "theme") + g.objects(node, AGORA + "sector")
                        + g.objects(node, DCT + "subject"), labels),
        "policies": links(g.objects(node, ODRL + "hasPolicy") + policies_about(g, node, "target"), labels),
        "usecases": links(usecases, labels),
        "flows": [_flow(g, f, labels, with_usecase=True) for f in g.subjects(AGORA + "flowDataset", node)],
        "twins": links(g.subjects(AGORA + "fedBy", node), labels),
        "catalogs": links(g.subjects(DCAT + "dataset", node), labels),
        "services": links(g.subjects(DCAT + "servesDataset", node), labels),
    }


def service_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    return {
        "publisher": links(g.objects(node, DCT + "publisher"), labels),
        "serves": links(g.objects(node, DCAT + "servesDataset"), labels),
        "endpoints": [t.value for t in g.objects(node, DCAT + "endpointURL") if isinstance(t, ox.NamedNode)],
        "usecases": links(g.subjects(AGORA + "usesService", node), labels),
        "twins": links(g.subjects(AGORA + "fedBy", node), labels),
        "policies": links(g.objects(node, ODRL + "hasPolicy") + policies_about(g, node, "target"), labels),
    }


def stakeholder_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    usecases = []
    for part in g.subjects(AGORA + "participant", node):
        roles = links(g.objects(part, AGORA + "role"), labels)
        for uc in g.subjects(AGORA + "participation", part):
            usecases.append({"usecase": term_view(uc, labels), "roles": roles})
    usecases.sort(key=lambda r: r["usecase"].label.lower())
    flows = [_flow(g, f, labels, with_usecase=True)
             for f in g.subjects(AGORA + "provider", node) + g.subjects(AGORA + "recipient", node)]
    policies = (policies_about(g, node, "assigner") + policies_about(g, node, "assignee")
                + g.subjects(ODRL + "assigner", node))
    published, total = g.many_subjects([DCT + "publisher"], node, GROUP_CAP)
    return {
        "roles": links(g.objects(node, AGORA + "hasRole"), labels),
        "published": grouped(g, published, labels),
        "published_total": total,
        "published_shown": len(published),
        "usecases": usecases,
        "flows": flows,
        "places": links(g.objects(node, AGORA + "city"), labels),
        "dataspaces": links(g.objects(node, AGORA + "memberOf"), labels),
        "policies": links(policies, labels),
    }


def usecase_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    participants = []
    for part in g.objects(node, AGORA + "participation"):
        roles = links(g.objects(part, AGORA + "role"), labels)
        for who in g.objects(part, AGORA + "participant"):
            participants.append({"participant": term_view(who, labels), "roles": roles})
    participants.sort(key=lambda r: r["participant"].label.lower())
    return {
        "participants": participants,
        "datasets": links(g.objects(node, AGORA + "usesDataset"), labels),
        "services": links(g.objects(node, AGORA + "usesService"), labels),
        "twins": links(g.objects(node, AGORA + "usesTwin"), labels),
        "flows": [_flow(g, f, labels) for f in g.objects(node, AGORA + "dataFlow")],
        "cities": links(g.objects(node, AGORA + "city"), labels),
        "sectors": links(g.objects(node, AGORA + "sector"), labels),
    }


def all_languages(g: Graphs, node: object, pred: str) -> list[tuple[str, str]]:
    """Every (language, text) of a property, sorted by language: the 'labels in all languages' table."""
    vals = [(lang_of(v) or "", v.value) for v in g.objects(node, pred) if isinstance(v, ox.Literal)]
    return sorted(set(vals))


MAPPINGS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")


def concept_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    mappings = []
    for rel in MAPPINGS:
        for o in g.objects(node, SKOS + rel):
            mappings.append({"direction": "out", "relation": rel, "concept": term_view(o, labels),
                             "schemes": links(g.objects(o, SKOS + "inScheme"), labels)})
        for s in g.subjects(SKOS + rel, node):
            mappings.append({"direction": "in", "relation": rel, "concept": term_view(s, labels),
                             "schemes": links(g.objects(s, SKOS + "inScheme"), labels)})
    tagged, total = g.many_subjects([DCAT + "theme", AGORA + "sector", DCT + "subject"], node, GROUP_CAP)
    return {
        "pref": all_languages(g, node, SKOS + "prefLabel"),
        "alt": all_languages(g, node, SKOS + "altLabel"),
        "definitions": all_languages(g, node, SKOS + "definition"),
        "schemes": links(g.objects(node, SKOS + "inScheme") + g.objects(node, SKOS + "topConceptOf"), labels),
        "broader": links(g.objects(node, SKOS + "broader") + g.subjects(SKOS + "narrower", node), labels),
        "narrower": links(g.objects(node, SKOS + "narrower") + g.subjects(SKOS + "broader", node), labels),
        "mappings": mappings,
        "tagged": grouped(g, tagged, labels),
        "tagged_total": total,
        "tagged_shown": len(tagged),
    }


def scheme_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    concepts = g.subjects(SKOS + "inScheme", node) + g.objects(node, SKOS + "hasTopConcept")
    return {"concepts": links(concepts[:500], labels), "total": len(set(concepts))}


def place_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    here, total = g.many_subjects([DCT + "spatial", AGORA + "city", AGORA + "twinOf"], node, GROUP_CAP)
    return {
        "pref": all_languages(g, node, SKOS + "prefLabel"),
        "part_of": links(g.objects(node, DCT + "isPartOf") + g.subjects(DCT + "hasPart", node), labels),
        "parts": links(g.objects(node, DCT + "hasPart") + g.subjects(DCT + "isPartOf", node), labels),
        "geometry": [(curie(p), v.value) for p in (DCAT + "centroid", DCAT + "bbox", "http://www.w3.org/ns/locn#geometry")
                     for v in g.objects(node, p) if isinstance(v, ox.Literal)],
        "here": grouped(g, here, labels),
        "here_total": total,
        "here_shown": len(here),
    }


def _constraint(g: Graphs, c: object, labels: Labeler, depth: int = 0) -> Constraint:
    for logic in ("and", "or", "xone", "andSequence"):
        members = g.objects(c, ODRL + logic)
        if members and depth < 3:
            items = []
            for m in members:
                items.extend(_list_items(g, m))
            return Constraint(None, None, [], [_constraint(g, m, labels, depth + 1) for m in items], logic)
    right = [term_view(v, labels) for v in g.objects(c, ODRL + "rightOperand")
             + g.objects(c, ODRL + "rightOperandReference")]
    return Constraint(_first(g, c, ODRL + "leftOperand", labels), _first(g, c, ODRL + "operator", labels), right)


def _list_items(g: Graphs, head: object) -> list[object]:
    """Members of an rdf:List (ODRL logical constraints), or the node itself when it is not a list."""
    if not g.objects(head, RDF + "first"):
        return [head]
    items: list[object] = []
    while head is not None and len(items) < 100:
        items.extend(g.objects(head, RDF + "first"))
        rest = g.objects(head, RDF + "rest")
        head = rest[0] if rest and rest[0] != nn(RDF + "nil") else None
    return items


def _rule(g: Graphs, kind: str, r: object, labels: Labeler, depth: int = 0) -> Rule:
    duties = [_rule(g, "Duty", d, labels, depth + 1) for d in g.objects(r, ODRL + "duty")] if depth < 2 else []
    return Rule(kind, [term_view(a, labels) for a in g.objects(r, ODRL + "action")],
                links(g.objects(r, ODRL + "target"), labels), links(g.objects(r, ODRL + "assigner"), labels),
                links(g.objects(r, ODRL + "assignee"), labels),
                [_constraint(g, c, labels) for c in g.objects(r, ODRL + "constraint")], duties)


def policy_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    rules = []
    for kind, pred in (("Permission", "permission"), ("Prohibition", "prohibition"), ("Obligation", "obligation")):
        rules.extend(_rule(g, kind, r, labels) for r in g.objects(node, ODRL + pred))
    return {
        "rules": rules,
        "assigner": links(g.objects(node, ODRL + "assigner"), labels),
        "assignee": links(g.objects(node, ODRL + "assignee"), labels),
        "target": links(g.objects(node, ODRL + "target"), labels),
        "applies_to": links(g.subjects(ODRL + "hasPolicy", node), labels),
        "flows": [_flow(g, f, labels, with_usecase=True) for f in g.subjects(AGORA + "governedBy", node)],
    }


def twin_section(g: Graphs, node: object, labels: Labeler) -> dict[str, Any]:
    return {
        "fed_by": grouped(g, g.objects(node, AGORA + "fedBy"), labels),
        "twin_of": links(g.objects(node, AGORA + "twinOf"), labels),
        "usecases": links(g.subjects(AGORA + "usesTwin", node), labels),
    }
