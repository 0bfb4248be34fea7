"""Editing one dataset's metadata in a form: read the current values, tag the version, write the changes.

A curator edits the fields people care about (titles, descriptions and keywords per language,
EU data themes, publisher, contact point, licence, access rights, landing page, a simple temporal
coverage and the places covered). Saving turns the fields that changed, and only those, into one
SPARQL Update on the source that holds the dataset, run by `update.run_update`: a copy-on-write
draft of the source, validated against the source's profile, committed atomically or not at all.
Every other statement about the dataset (identifiers, sectors, policies, distributions...) is
left exactly as it was.

Conflicts: the form carries a version tag, a digest of the dataset's description in its source
(its statements, the blank nodes they reach, and its distributions' licences, which the form also
edits). Saving recomputes the tag under the store's write lock; if someone changed the dataset in
the meantime the tags differ and nothing is written (`Conflict`). Blank nodes are hashed by their
content, so a reload that only relabels them does not count as a change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pyoxigraph as ox

from .errors import AgoraError, BadInput, SourceNotFound
from .namespaces import DCAT, DCT, FOAF, RDF, SKOS, VCARD
from .resources_view import LANGUAGES, Labeler

DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme"
LICENCE = "http://publications.europa.eu/resource/authority/licence"
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
MIXED = "(mixed)"
"""The licence field's value when the distributions do not share one licence: leave them alone."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Conflict(AgoraError):
    """The dataset changed since the form was opened."""

    http_status = 409
    exit_code = 2


@dataclass
class DatasetForm:
    """The editable fields of one dataset (blank text means "none")."""

    iri: str
    source: str = ""
    titles: dict[str, str] = field(default_factory=dict)
    """Language tag ('' for none) -> text; one per language."""
    descriptions: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    """EU data themes only; other dcat:theme values are kept as they are."""
    publisher: str = ""
    contact: str = ""
    """An IRI, or '_:' when the contact point is a blank node (kept unless another is chosen)."""
    licence: str = ""
    """The licence all distributions share, '' for none, MIXED when they differ."""
    distributions: int = 0
    access_rights: str = ""
    landing_page: str = ""
    start: str = ""
    end: str = ""
    temporal_simple: bool = True
    """False when the temporal coverage is more than one period of dates: then the form leaves it alone."""
    spatial: list[str] = field(default_factory=list)
    version: str = ""

    def languages(self) -> list[str]:
        """The interface languages, then any other language the dataset is written in."""
        seen = dict.fromkeys(LANGUAGES)
        for d in (self.titles, self.descriptions, self.keywords):
            seen.update(dict.fromkeys(d))
        return list(seen)


# -- reading ----------------------------------------------------------------------------------------
def holder(store: Any, iri: str) -> Any:
    """The curator source that describes `iri` as a dcat:Dataset (the first, if several do)."""
    node = _node(iri)
    dataset = ox.NamedNode(DCAT + "Dataset")
    for info in store.sources(include_system=False):
        if any(True for _ in store.ox.quads_for_pattern(node, ox.NamedNode(RDF + "type"), dataset, info.physical)):
            return info
    raise SourceNotFound(f"no source describes <{iri}> as a dcat:Dataset")


def _node(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri.strip())
    except ValueError:
        raise BadInput(f"{iri!r} is not an absolute IRI") from None


def _objects(store: Any, s: Any, p: str, g: ox.NamedNode) -> list[Any]:
    return [q.object for q in store.ox.quads_for_pattern(s, ox.NamedNode(p), None, g)]


def _term(t: Any, bnodes: dict[Any, str]) -> str:
    if isinstance(t, ox.BlankNode):
        return bnodes.get(t, "[]")
    return str(t)


def version_tag(store: Any, info: Any, iri: str) -> str:
    """A digest of what the form edits and shows: the dataset's description in its source."""
    g = info.physical
    node = _node(iri)

    def describe(s: Any, depth: int) -> list[str]:
        lines = []
        for q in store.ox.quads_for_pattern(s, None, None, g):
            o = q.object
            text = ("[" + " ; ".join(sorted(describe(o, depth + 1))) + "]"
                    if isinstance(o, ox.BlankNode) and depth < 8 else _term(o, {}))
            lines.append(f"{q.predicate} {text}")
        return lines

    lines = describe(node, 0)
    for d in _objects(store, node, DCAT + "distribution", g):
        lines += [f"licence {str(d) if isinstance(d, ox.NamedNode) else '[]'} {lic}"
                  for lic in _objects(store, d, DCT + "license", g)]
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:20]


def read_form(store: Any, iri: str) -> DatasetForm:
    info = holder(store, iri)
    g = info.physical
    node = _node(iri)
    form = DatasetForm(iri=node.value, source=info.name)
    for p, target in ((DCT + "title", form.titles), (DCT + "description", form.descriptions)):
        for o in _objects(store, node, p, g):
            if isinstance(o, ox.Literal):
                target.setdefault(o.language or "", o.value)
    for o in _objects(store, node, DCAT + "keyword", g):
        if isinstance(o, ox.Literal):
            form.keywords.setdefault(o.language or "", []).append(o.value)
    form.themes = sorted(o.value for o in _objects(store, node, DCAT + "theme", g)
                         if isinstance(o, ox.NamedNode) and o.value.startswith(DATA_THEME + "/"))
    form.publisher = _first_iri(_objects(store, node, DCT + "publisher", g))
    contacts = _objects(store, node, DCAT + "contactPoint", g)
    form.contact = _first_iri(contacts) or ("_:" if contacts else "")
    form.access_rights = _first_iri(_objects(store, node, DCT + "accessRights", g))
    form.landing_page = _first_iri(_objects(store, node, DCAT + "landingPage", g))
    form.spatial = sorted(o.value for o in _objects(store, node, DCT + "spatial", g) if isinstance(o, ox.NamedNode))
    dists = _objects(store, node, DCAT + "distribution", g)
    form.distributions = len(dists)
    licences = {frozenset(o.value for o in _objects(store, d, DCT + "license", g) if isinstance(o, ox.NamedNode))
                for d in dists}
    if len(licences) == 1:
        only = next(iter(licences))
        form.licence = next(iter(only)) if len(only) == 1 else ("" if not only else MIXED)
    elif licences:
        form.licence = MIXED
    form.start, form.end, form.temporal_simple = _temporal(store, node, g)
    form.version = version_tag(store, info, iri)
    return form


def _first_iri(terms: list[Any]) -> str:
    iris = sorted(t.value for t in terms if isinstance(t, ox.NamedNode))
    return iris[0] if iris else ""


def _temporal(store: Any, node: ox.NamedNode, g: ox.NamedNode) -> tuple[str, str, bool]:
    """(start, end, simple): simple when there is at most one dct:temporal, a blank node holding only
    a dct:PeriodOfTime type and xsd:date start and end dates."""
    periods = _objects(store, node, DCT + "temporal", g)
    if not periods:
        return "", "", True
    if len(periods) > 1 or not isinstance(periods[0], ox.BlankNode):
        return "", "", False
    start = end = ""
    for q in store.ox.quads_for_pattern(periods[0], None, None, g):
        p, o = q.predicate.value, q.object
        if p == RDF + "type" and o == ox.NamedNode(DCT + "PeriodOfTime"):
            continue
        if p in (DCAT + "startDate", DCAT + "endDate") and isinstance(o, ox.Literal) \
                and o.datatype.value == XSD_DATE and not (start if p.endswith("startDate") else end):
            if p.endswith("startDate"):
                start = o.value
            else:
                end = o.value
            continue
        return "", "", False
    return start, end, True


# -- choices for the form -------------------------------------------------------------------------
_CHOICES = {
    "themes": f"SELECT DISTINCT ?x WHERE {{ ?x <{SKOS}inScheme> <{DATA_THEME}> }}",
    "licences": f"SELECT DISTINCT ?x WHERE {{ ?x <{SKOS}inScheme> <{LICENCE}> }}",
    "access_rights": f"SELECT DISTINCT ?x WHERE {{ ?x <{SKOS}inScheme> <{ACCESS_RIGHT}> }}",
    "publishers": f"SELECT DISTINCT ?x WHERE {{ {{ ?x a <{FOAF}Organization> }} UNION {{ ?x a <{FOAF}Agent> }} "
                  "FILTER(isIRI(?x)) }",
    "contacts": f"SELECT DISTINCT ?x WHERE {{ {{ ?x a <{VCARD}Kind> }} UNION {{ ?x a <{VCARD}Organization> }} "
                f"UNION {{ ?x a <{VCARD}Individual> }} FILTER(isIRI(?x)) }}",
    "places": f"SELECT DISTINCT ?x WHERE {{ ?x a <{DCT}Location> FILTER(isIRI(?x)) }}",
}
MAX_CHOICES = 2000


_choice_cache: dict[tuple[int, int, str], dict[str, list[tuple[str, str]]]] = {}
"""Labelled lists per (store, generation, language): the same for every dataset until the store changes."""


def _labelled(store: Any, lang: str) -> dict[str, list[tuple[str, str]]]:
    key = (id(store), store.generation, lang)
    hit = _choice_cache.get(key)
    if hit is None:
        graphs = store.public_physical_graphs()
        found = {k: [row[0].value for row in store.ox.query(q + f" LIMIT {MAX_CHOICES}", default_graph=graphs)]
                 for k, q in _CHOICES.items()}
        labels = Labeler(store, lang)
        labels.prefetch([i for values in found.values() for i in values])
        hit = {k: sorted(((v, labels.label(v)) for v in dict.fromkeys(values)), key=lambda vl: (vl[1].lower(), vl[0]))
               for k, values in found.items()}
        if len(_choice_cache) > 12 or any(k[1] != key[1] for k in _choice_cache if k[0] == key[0]):
            _choice_cache.clear()
        _choice_cache[key] = hit
    return hit


def choices(store: Any, lang: str, current: DatasetForm | None = None) -> dict[str, list[tuple[str, str]]]:
    """(IRI, label) options for every select and checkbox list, labels in `lang`; current values included."""
    out = {k: list(v) for k, v in _labelled(store, lang).items()}
    if current is not None:
        extra = {"themes": current.themes, "publishers": [current.publisher], "contacts": [current.contact],
                 "licences": [current.licence], "access_rights": [current.access_rights], "places": current.spatial}
        missing = {k: [v for v in values if v and v not in (MIXED, "_:") and v not in {i for i, _ in out[k]}]
                   for k, values in extra.items()}
        if any(missing.values()):
            labels = Labeler(store, lang)
            labels.prefetch([v for values in missing.values() for v in values])
            for k, values in missing.items():
                out[k] = sorted(out[k] + [(v, labels.label(v)) for v in dict.fromkeys(values)],
                                key=lambda vl: (vl[1].lower(), vl[0]))
    return out


# -- writing ----------------------------------------------------------------------------------------
def form_from_fields(iri: str, fields: Any, current: DatasetForm) -> DatasetForm:
    """The curator's values from a submitted form (a multi-dict with getlist); checks IRIs and dates."""
    def get(name: str) -> str:
        value = fields.get(name)
        return str(value).strip() if value is not None else ""

    wanted = replace(current, titles={}, descriptions={}, keywords={}, version=get("version"))
    langs = [la for la in fields.getlist("langs") if la == "" or re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", la)]
    for la in langs:
        title, desc = get(f"title.{la}"), get(f"description.{la}")
        if title:
            wanted.titles[la] = title
        if desc:
            wanted.descriptions[la] = desc
        words = [w.strip() for w in get(f"keywords.{la}").split(",") if w.strip()]
        if words:
            wanted.keywords[la] = list(dict.fromkeys(words))
    wanted.themes = sorted({str(v) for v in fields.getlist("theme") if str(v).startswith(DATA_THEME + "/")})
    wanted.spatial = sorted({str(v) for v in fields.getlist("spatial") if str(v)})
    for name in ("publisher", "contact", "licence", "access_rights", "landing_page"):
        setattr(wanted, name, get(name))
    if current.temporal_simple:
        wanted.start, wanted.end = get("start"), get("end")
    problems = []
    for name in ("publisher", "contact", "licence", "access_rights", "landing_page"):
        value = getattr(wanted, name)
        if value and value not in (MIXED, "_:") and not _is_iri(value):
            problems.append(f"{name.replace('_', ' ')}: {value!r} is not an absolute IRI")
    problems += [f"place: {v!r} is not an absolute IRI" for v in wanted.spatial if not _is_iri(v)]
    dates = {}
    for name in ("start", "end"):
        value = getattr(wanted, name)
        if value:
            try:
                if not _DATE.match(value):
                    raise ValueError(value)
                dates[name] = date.fromisoformat(value)
            except ValueError:
                problems.append(f"{name} date: {value!r} is not a date (YYYY-MM-DD)")
    if len(dates) == 2 and dates["end"] < dates["start"]:
        problems.append("the temporal coverage ends before it starts")
    if problems:
        raise BadInput("; ".join(problems))
    return wanted


def _is_iri(value: str) -> bool:
    if ":" not in value or any(c in value for c in ' <>"{}|\\^`'):
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def changed_fields(current: DatasetForm, wanted: DatasetForm) -> list[str]:
    """Names of the fields whose values differ (what saving would write)."""
    names = []
    for la in sorted(set(current.titles) | set(wanted.titles)):
        if current.titles.get(la, "") != wanted.titles.get(la, ""):
            names.append(f"title.{la}")
    for la in sorted(set(current.descriptions) | set(wanted.descriptions)):
        if current.descriptions.get(la, "") != wanted.descriptions.get(la, ""):
            names.append(f"description.{la}")
    for la in sorted(set(current.keywords) | set(wanted.keywords)):
        if sorted(current.keywords.get(la, [])) != sorted(wanted.keywords.get(la, [])):
            names.append(f"keywords.{la}")
    for name in ("themes", "publisher", "contact", "access_rights", "landing_page", "spatial"):
        if getattr(current, name) != getattr(wanted, name):
            names.append(name)
    if wanted.licence != MIXED and current.licence != wanted.licence:
        names.append("licence")
    if current.temporal_simple and (current.start, current.end) != (wanted.start, wanted.end):
        names.append("temporal")
    return names


def _lit(text: str, lang: str) -> str:
    return str(ox.Literal(text, language=lang)) if lang else str(ox.Literal(text))


def build_update(graph_iri: str, current: DatasetForm, wanted: DatasetForm) -> str | None:
    """The SPARQL Update that turns `current` into `wanted` in the source graph (None: nothing changed)."""
    fields = changed_fields(current, wanted)
    if not fields:
        return None
    g, d = f"<{ox.NamedNode(graph_iri).value}>", f"<{ox.NamedNode(wanted.iri).value}>"
    ops: list[str] = []
    insert: list[str] = []

    def drop(pred: str, where: str = "") -> None:
        ops.append(f"WITH {g} DELETE {{ {d} <{pred}> ?o }} WHERE {{ {d} <{pred}> ?o {where} }}")

    def lang_filter(la: str) -> str:
        return f'FILTER(isLiteral(?o) && lang(?o) = "{la.lower()}")'

    for name in fields:
        kind, _, la = name.partition(".")
        if kind in ("title", "description", "keywords"):
            pred = {"title": DCT + "title", "description": DCT + "description", "keywords": DCAT + "keyword"}[kind]
            drop(pred, lang_filter(la))
            values = {"title": [wanted.titles.get(la, "")], "description": [wanted.descriptions.get(la, "")],
                      "keywords": wanted.keywords.get(la, [])}[kind]
            insert += [f"{d} <{pred}> {_lit(v, la)} ." for v in values if v]
        elif name == "themes":
            drop(DCAT + "theme", f'FILTER(STRSTARTS(STR(?o), "{DATA_THEME}/"))')
            insert += [f"{d} <{DCAT}theme> <{t}> ." for t in wanted.themes]
        elif name == "spatial":
            drop(DCT + "spatial", "FILTER(isIRI(?o))")
            insert += [f"{d} <{DCT}spatial> <{p}> ." for p in wanted.spatial]
        elif name in ("publisher", "access_rights", "landing_page", "contact"):
            pred = {"publisher": DCT + "publisher", "access_rights": DCT + "accessRights",
                    "landing_page": DCAT + "landingPage", "contact": DCAT + "contactPoint"}[name]
            value = getattr(wanted, name)
            if name == "contact" and value == "_:":
                continue
            if name == "contact":  # an inline (blank node) contact point goes with the link to it
                ops.append(f"WITH {g} DELETE {{ {d} <{pred}> ?o . ?o ?p ?v }} WHERE {{ {d} <{pred}> ?o "
                           "OPTIONAL { ?o ?p ?v FILTER(isBlank(?o)) } }")
            else:
                drop(pred)
            if value:
                insert.append(f"{d} <{pred}> <{value}> .")
        elif name == "licence":
            ops.append(f"WITH {g} DELETE {{ ?x <{DCT}license> ?l }} WHERE {{ {d} <{DCAT}distribution> ?x . "
                       f"?x <{DCT}license> ?l }}")
            if wanted.licence:
                ops.append(f"WITH {g} INSERT {{ ?x <{DCT}license> <{wanted.licence}> }} WHERE {{ "
                           f"{d} <{DCAT}distribution> ?x }}")
        elif name == "temporal":
            ops.append(f"WITH {g} DELETE {{ {d} <{DCT}temporal> ?t . ?t ?p ?v }} WHERE {{ {d} <{DCT}temporal> ?t "
                       "OPTIONAL { ?t ?p ?v FILTER(isBlank(?t)) } }")
            if wanted.start or wanted.end:
                parts = [f"a <{DCT}PeriodOfTime>"]
                if wanted.start:
                    parts.append(f'<{DCAT}startDate> "{wanted.start}"^^<{XSD_DATE}>')
                if wanted.end:
                    parts.append(f'<{DCAT}endDate> "{wanted.end}"^^<{XSD_DATE}>')
                insert.append(f"{d} <{DCT}temporal> [ {' ; '.join(parts)} ] .")
    if insert:
        ops.append(f"INSERT DATA {{ GRAPH {g} {{\n  " + "\n  ".join(insert) + "\n} }")
    return " ;\n".join(ops)


def field_rows(form: DatasetForm, names: list[str], labels: dict[str, str]) -> dict[str, str]:
    """Readable values of the named fields (for showing a conflict side by side)."""
    out = {}
    for name in names:
        kind, _, la = name.partition(".")
        if kind == "title":
            out[name] = form.titles.get(la, "")
        elif kind == "description":
            out[name] = form.descriptions.get(la, "")
        elif kind == "keywords":
            out[name] = ", ".join(form.keywords.get(la, []))
        elif name in ("themes", "spatial"):
            out[name] = ", ".join(labels.get(v, v) for v in getattr(form, name))
        elif name == "temporal":
            out[name] = f"{form.start or '…'} – {form.end or '…'}" if form.start or form.end else ""
        else:
            value = getattr(form, name)
            out[name] = labels.get(value, value) if value not in ("_:",) else "(described inline)"
    return out

