"""Shared helpers for the W3C SPARQL 1.1 harnesses (protocol, graph store, query evaluation).

- reading the W3C manifests (``mf:``, ``qt:``, ``ut:`` and the HTTP-in-RDF ``ht:`` vocabulary);
- a small, strict model of SPARQL results (JSON, XML, CSV, TSV) and their comparison with
  blank-node isomorphism, as the W3C test rules ask;
- building an Agora app on a temporary data directory, with a write token, for TestClient runs.

The suite lives in ``../shared/reference/sparql11-tests`` beside the repository. Manifests are
parsed with the W3C IRIs they were published under (``http://www.w3.org/2009/sparql/docs/tests/
data-sparql11/...``), so relative IRIs in data, queries and results resolve as the suite intends.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
SPARQL11 = REFERENCE / "sparql11-tests" / "sparql" / "sparql11"
W3C_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# --------------------------------------------------------------------------------------------
# Manifests
# --------------------------------------------------------------------------------------------


def w3c_iri(path: Path) -> str:
    """The IRI a file of the suite was published under."""
    return W3C_BASE + path.resolve().relative_to(SPARQL11.resolve()).as_posix()


def local_path(iri: str | Node) -> Path:
    """The file in the local copy of the suite for a W3C IRI (or a file: IRI)."""
    text = str(iri)
    if text.startswith(W3C_BASE):
        return SPARQL11 / text[len(W3C_BASE):]
    if text.startswith("file://"):
        return Path(text.removeprefix("file://"))
    raise ValueError(f"not a file of the suite: {text}")


def parse_rdf(path: Path, fmt: str = "turtle", base: str | None = None) -> Graph:
    """Parse without rdflib's literal normalisation: the tests are about terms as written."""
    g = Graph()
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        g.parse(path, format=fmt, publicID=base or w3c_iri(path))
    finally:
        rdflib.NORMALIZE_LITERALS = saved
    return g


def parse_rdf_text(data: str | bytes, fmt: str, base: str | None = None) -> Graph:
    g = Graph()
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        g.parse(data=data, format=fmt, publicID=base)
    finally:
        rdflib.NORMALIZE_LITERALS = saved
    return g


@functools.cache
def manifest_graph(path: Path) -> Graph:
    return parse_rdf(path)


@dataclass(frozen=True)
class Entry:
    """One test of a manifest: its IRI, short id, and the manifest it is declared in."""

    iri: str
    manifest: Path
    listed: bool = True
    """False for a test declared in a manifest but missing from its mf:entries list."""

    @property
    def graph(self) -> Graph:
        return manifest_graph(self.manifest)

    @property
    def node(self) -> URIRef:
        return URIRef(self.iri)

    @property
    def local_name(self) -> str:
        return re.split(r"[#/]", self.iri)[-1]

    @property
    def id(self) -> str:
        """`dir/name`, e.g. `aggregates/agg01`: unique across the suite."""
        rel = self.manifest.resolve().relative_to(SPARQL11.resolve()).parent.as_posix()
        return f"{rel}/{self.local_name}"

    @property
    def type(self) -> str:
        t = self.graph.value(self.node, RDF.type)
        return str(t).rsplit("#", 1)[-1] if t is not None else ""

    @property
    def name(self) -> str:
        return str(self.graph.value(self.node, MF.name) or self.local_name)

    @property
    def approval(self) -> str:
        a = self.graph.value(self.node, DAWGT.approval)
        return str(a).rsplit("#", 1)[-1] if a is not None else ""

    def value(self, p: URIRef) -> Node | None:
        return self.graph.value(self.node, p)

    def values(self, p: URIRef) -> list[Node]:
        return list(self.graph.objects(self.node, p))


def manifest_entries(path: Path, *, include_unlisted: bool = False) -> list[Entry]:
    """The tests of a manifest in mf:entries order, following mf:include."""
    g = manifest_graph(path)
    out: list[Entry] = []
    for m in g.subjects(RDF.type, MF.Manifest):
        for inc in g.objects(m, MF.include):
            for sub in Collection(g, inc):
                out.extend(manifest_entries(local_path(sub), include_unlisted=include_unlisted))
        for lst in g.objects(m, MF.entries):
            out.extend(Entry(str(e), path) for e in Collection(g, lst))
    if include_unlisted:
        listed = {e.iri for e in out}
        for t in sorted(set(g.subjects(MF.action, None)) | set(g.subjects(MF.name, None)), key=str):
            if isinstance(t, URIRef) and str(t) not in listed and (t, RDF.type, MF.Manifest) not in g:
                out.append(Entry(str(t), path, listed=False))
    return out


def rdf_list(g: Graph, node: Node | None) -> list[Node]:
    return list(Collection(g, node)) if node is not None else []


# --------------------------------------------------------------------------------------------
# HTTP requests described with the W3C HTTP vocabulary (ht:)
# --------------------------------------------------------------------------------------------

NAMED_STATUS = {
    "OK": 200, "Created": 201, "Accepted": 202, "NoContent": 204, "MovedPermanently": 301, "Found": 302,
    "SeeOther": 303, "NotModified": 304, "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403,
    "NotFound": 404, "MethodNotAllowed": 405, "NotAcceptable": 406, "Conflict": 409,
    "PreconditionFailed": 412, "UnsupportedMediaType": 415, "InternalServerError": 500,
}


@dataclass
class ExpectedResponse:
    statuses: list[str] = field(default_factory=list)
    """Each an exact code ("201") or a class ("2xx")."""
    boolean: bool | None = None
    format: str | None = None
    """mf:expectedFormat: "boolean", "tabular" or "RDF"."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    location_var: str | None = None

    def status_ok(self, code: int) -> bool:
        if not self.statuses:
            return True
        return any(str(code) == s or (s.endswith("xx") and str(code)[0] == s[0]) for s in self.statuses)

    def describe_statuses(self) -> str:
        return " or ".join(self.statuses)


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    expect: ExpectedResponse

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def _status_spec(node: Node) -> str:
    name = str(node).rsplit("#", 1)[-1]
    m = re.fullmatch(r"StatusCode(\d)xx", name)
    if m:
        return f"{m.group(1)}xx"
    if name in NAMED_STATUS:
        return str(NAMED_STATUS[name])
    raise ValueError(f"unknown status term {node}")


def _headers(g: Graph, node: Node) -> list[tuple[str, str]]:
    out = []
    for lst in g.objects(node, HT.headers):
        for h in rdf_list(g, lst):
            out.append((str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue))))
    return out


def _body(g: Graph, node: Node) -> bytes | None:
    b = g.value(node, HT.body)
    if b is None:
        return None
    chars = str(g.value(b, CNT.chars))
    encoding = str(g.value(b, CNT.characterEncoding) or "UTF-8")
    return chars.encode(encoding)


def read_http_requests(g: Graph, action: Node) -> list[HttpRequest]:
    """The ht:requests of an ht:Connection, in order, with the expected responses."""
    out = []
    for lst in g.objects(action, HT.requests):
        for r in rdf_list(g, lst):
            resp = g.value(r, HT.resp)
            exp = ExpectedResponse()
            if resp is not None:
                exp.statuses = sorted(_status_spec(s) for s in g.objects(resp, MF.expectedStatus))
                b = g.value(resp, MF.expectedBoolean)
                exp.boolean = None if b is None else bool(b.toPython())
                f = g.value(resp, MF.expectedFormat)
                exp.format = None if f is None else str(f)
                exp.headers = _headers(g, resp)
                exp.body = _body(g, resp)
                loc = g.value(resp, MF.expectedLocation)
                exp.location_var = None if loc is None else str(loc)
            out.append(HttpRequest(method=str(g.value(r, HT.methodName)), path=str(g.value(r, HT.absolutePath)),
                                   headers=_headers(g, r), body=_body(g, r), expect=exp))
    return out


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.strip().lower() == "charset":
            return v.strip().strip('"').lower()
    return None


# --------------------------------------------------------------------------------------------
# RDF terms and SPARQL results
# --------------------------------------------------------------------------------------------
# A term is a tuple: ("uri", iri) | ("bnode", label) | ("literal", lexical, datatype, lang).
# Literals always carry a datatype (xsd:string / rdf:langString when the syntax omits it) and a
# lower-cased language tag (tags are case-insensitive), so equal terms are equal tuples.

Term = tuple


def uri(value: str) -> Term:
    return ("uri", value)


def bnode(label: str) -> Term:
    return ("bnode", label)


def literal(lexical: str, datatype: str | None = None, lang: str | None = None) -> Term:
    if lang:
        return ("literal", lexical, RDF_LANGSTRING, lang.lower())
    return ("literal", lexical, datatype or XSD_STRING, "")


def is_bnode(t: Term | None) -> bool:
    return t is not None and t[0] == "bnode"


def term_str(t: Term | None) -> str:
    if t is None:
        return "UNDEF"
    if t[0] == "uri":
        return f"<{t[1]}>"
    if t[0] == "bnode":
        return f"_:{t[1]}"
    if t[0] == "triple":
        return "<< " + " ".join(term_str(x) for x in t[1:]) + " >>"
    lex = json.dumps(t[1], ensure_ascii=False)
    if t[3]:
        return f"{lex}@{t[3]}"
    if t[2] == XSD_STRING:
        return lex
    return f"{lex}^^<{t[2]}>"


def from_rdflib(n: Node) -> Term:
    if isinstance(n, URIRef):
        return uri(str(n))
    if isinstance(n, BNode):
        return bnode(str(n))
    if isinstance(n, Literal):
        return literal(str(n), str(n.datatype) if n.datatype else None, n.language)
    raise TypeError(f"not an RDF term: {n!r}")


Row = dict  # variable name -> Term (unbound variables are absent)


@dataclass
class Results:
    kind: str
    """"boolean" or "bindings"."""
    variables: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None

    def describe(self, limit: int = 20) -> str:
        if self.kind == "boolean":
            return f"boolean {self.boolean}"
        lines = [f"vars {self.variables}, {len(self.rows)} row(s)"]
        for r in self.rows[:limit]:
            lines.append("  " + ", ".join(f"?{k}={term_str(v)}" for k, v in sorted(r.items())))
        if len(self.rows) > limit:
            lines.append(f"  ... {len(self.rows) - limit} more")
        return "\n".join(lines)


class ResultFormatError(ValueError):
    pass


_SRX = "{http://www.w3.org/2005/sparql-results#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _srx_term(el: ET.Element) -> Term:
    tag = el.tag.removeprefix(_SRX)
    if tag == "uri":
        return uri((el.text or "").strip())
    if tag == "bnode":
        return bnode((el.text or "").strip())
    if tag == "literal":
        return literal(el.text or "", el.get("datatype"), el.get(_XML_LANG))
    if tag == "triple":
        parts = {c.tag.removeprefix(_SRX): _srx_term(c[0]) for c in el}
        return ("triple", parts["subject"], parts["predicate"], parts["object"])
    raise ResultFormatError(f"unknown XML result term <{tag}>")


def parse_srx(data: bytes | str) -> Results:
    try:
        root = ET.fromstring(data.encode() if isinstance(data, str) else data)
    except ET.ParseError as exc:
        raise ResultFormatError(f"not well-formed XML: {exc}") from exc
    if root.tag != _SRX + "sparql":
        raise ResultFormatError(f"root element is {root.tag}, not sparql-results <sparql>")
    head = root.find(_SRX + "head")
    if head is None:
        raise ResultFormatError("no <head>")
    variables = [v.get("name", "") for v in head.findall(_SRX + "variable")]
    boolean = root.find(_SRX + "boolean")
    if boolean is not None:
        text = (boolean.text or "").strip()
        if text not in ("true", "false"):
            raise ResultFormatError(f"<boolean> is {text!r}")
        return Results("boolean", boolean=text == "true")
    results = root.find(_SRX + "results")
    if results is None:
        raise ResultFormatError("neither <boolean> nor <results>")
    rows = []
    for r in results.findall(_SRX + "result"):
        row = {}
        for b in r.findall(_SRX + "binding"):
            if len(b) != 1:
                raise ResultFormatError(f"binding {b.get('name')} has {len(b)} children")
            row[b.get("name", "")] = _srx_term(b[0])
        rows.append(row)
    return Results("bindings", variables, rows)


def _srj_term(v: dict[str, Any]) -> Term:
    kind = v.get("type")
    if kind == "uri":
        return uri(v["value"])
    if kind == "bnode":
        return bnode(v["value"])
    if kind in ("literal", "typed-literal"):
        return literal(v["value"], v.get("datatype"), v.get("xml:lang"))
    if kind == "triple":
        t = v["value"]
        return ("triple", _srj_term(t["subject"]), _srj_term(t["predicate"]), _srj_term(t["object"]))
    raise ResultFormatError(f"unknown JSON result term type {kind!r}")


def parse_srj(data: bytes | str) -> Results:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ResultFormatError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or "head" not in doc:
        raise ResultFormatError("no 'head' member")
    if "boolean" in doc:
        if not isinstance(doc["boolean"], bool):
            raise ResultFormatError(f"'boolean' is {doc['boolean']!r}")
        return Results("boolean", boolean=doc["boolean"])
    try:
        variables = list(doc["head"].get("vars", []))
        rows = [{k: _srj_term(v) for k, v in b.items()} for b in doc["results"]["bindings"]]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ResultFormatError(f"malformed JSON results: {exc!r}") from exc
    return Results("bindings", variables, rows)


_TSV_NUMBER = [
    (re.compile(r"[+-]?\d+"), XSD + "integer"),
    (re.compile(r"[+-]?\d*\.\d+"), XSD + "decimal"),
    (re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)[eE][+-]?\d+"), XSD + "double"),
]
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(s: str) -> str:
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if nxt == "u":
            out.append(chr(int(s[i + 2:i + 6], 16)))
            i += 6
        elif nxt == "U":
            out.append(chr(int(s[i + 2:i + 10], 16)))
            i += 10
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise ResultFormatError(f"bad escape \\{nxt} in {s!r}")
    return "".join(out)


def parse_tsv_term(text: str) -> Term | None:
    """One TSV field: a term in Turtle/SPARQL syntax, or empty for an unbound variable."""
    s = text.strip()
    if s == "":
        return None
    if s.startswith("<") and s.endswith(">"):
        return uri(_unescape(s[1:-1]))
    if s.startswith("_:"):
        return bnode(s[2:])
    if s in ("true", "false"):
        return literal(s, XSD + "boolean")
    for rx, dt in _TSV_NUMBER:
        if rx.fullmatch(s):
            return literal(s, dt)
    if s[0] in "\"'":
        q = s[0]
        i = 1
        while i < len(s):
            if s[i] == "\\":
                i += 2
                continue
            if s[i] == q:
                break
            i += 1
        if i >= len(s):
            raise ResultFormatError(f"unterminated string in TSV field {s!r}")
        lex = _unescape(s[1:i])
        rest = s[i + 1:]
        if rest == "":
            return literal(lex)
        if rest.startswith("@"):
            return literal(lex, lang=rest[1:])
        if rest.startswith("^^<") and rest.endswith(">"):
            return literal(lex, rest[3:-1])
        raise ResultFormatError(f"cannot read TSV field {s!r}")
    raise ResultFormatError(f"cannot read TSV field {s!r}")


def parse_tsv(data: bytes | str) -> Results:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln.removesuffix("\r") for ln in lines]
    if not lines:
        raise ResultFormatError("empty TSV document (no header line)")
    header = lines[0].split("\t") if lines[0] else []
    for h in header:
        if not h.startswith(("?", "$")):
            raise ResultFormatError(f"TSV header field {h!r} is not a variable")
    variables = [h[1:] for h in header]
    if variables == ["_askResult"] and len(lines) == 2 and lines[1] in ("true", "false"):
        return Results("boolean", boolean=lines[1] == "true")
    rows = []
    for ln in lines[1:]:
        fields = ln.split("\t") if variables else []
        if len(fields) != len(variables):
            raise ResultFormatError(f"TSV row has {len(fields)} fields for {len(variables)} variables: {ln!r}")
        row = {}
        for v, f in zip(variables, fields, strict=True):
            t = parse_tsv_term(f)
            if t is not None:
                row[v] = t
        rows.append(row)
    return Results("bindings", variables, rows)


def parse_csv(data: bytes | str) -> Results:
    """CSV keeps only strings: every value becomes a plain literal, except `_:x` blank nodes.

    IRIs and literals are indistinguishable in CSV, so both sides of a comparison must be CSV.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    reader = list(csv.reader(io.StringIO(text, newline="")))
    if not reader:
        raise ResultFormatError("empty CSV document (no header line)")
    variables = reader[0]
    rows = []
    for rec in reader[1:]:
        if len(rec) != len(variables):
            raise ResultFormatError(f"CSV row has {len(rec)} fields for {len(variables)} variables: {rec!r}")
        row: Row = {}
        for v, f in zip(variables, rec, strict=True):
            if f == "":
                continue
            row[v] = bnode(f[2:]) if f.startswith("_:") else literal(f)
        rows.append(row)
    return Results("bindings", variables, rows)


RESULT_MEDIA = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
RESULT_PARSERS = {"json": parse_srj, "xml": parse_srx, "csv": parse_csv, "tsv": parse_tsv}


def parse_results(data: bytes, content_type: str | None) -> Results:
    kind = RESULT_MEDIA.get(media_type(content_type))
    if kind is None:
        raise ResultFormatError(f"Content-Type {content_type!r} is not a SPARQL results format")
    return RESULT_PARSERS[kind](data)


def _shape(row: Row) -> frozenset:
    """A row with blank nodes made anonymous, for cheap multiset pre-checks."""
    return frozenset((k, ("bnode", "") if is_bnode(v) else v) for k, v in row.items())


def _extend(mapping: dict[str, str], used: set[str], exp: Row, act: Row) -> list[tuple[str, str]] | None:
    """Try to match two rows under a blank-node bijection; returns the new pairs, or None."""
    if exp.keys() != act.keys():
        return None
    added: list[tuple[str, str]] = []

    def undo() -> None:
        for e, a in added:
            del mapping[e]
            used.discard(a)

    for k, e in exp.items():
        a = act[k]
        if is_bnode(e) != is_bnode(a):
            undo()
            return None
        if not is_bnode(e):
            if e != a:
                undo()
                return None
            continue
        if e[1] in mapping:
            if mapping[e[1]] != a[1]:
                undo()
                return None
        elif a[1] in used:
            undo()
            return None
        else:
            mapping[e[1]] = a[1]
            used.add(a[1])
            added.append((e[1], a[1]))
    return added


def _undo(mapping: dict[str, str], used: set[str], pairs: list[tuple[str, str]]) -> None:
    for e, a in pairs:
        del mapping[e]
        used.discard(a)


def rows_isomorphic(expected: list[Row], actual: list[Row], *, ordered: bool = False) -> bool:
    """Equal as multisets (or lists) of rows under one bijection between blank-node labels."""
    if len(expected) != len(actual):
        return False
    if Counter(map(_shape, expected)) != Counter(map(_shape, actual)):
        return False
    mapping: dict[str, str] = {}
    used: set[str] = set()
    if ordered:
        return all(_extend(mapping, used, e, a) is not None for e, a in zip(expected, actual, strict=True))
    if not any(is_bnode(v) for r in expected for v in r.values()):
        return True
    exp = sorted(expected, key=lambda r: sum(is_bnode(v) for v in r.values()))
    taken = [False] * len(actual)
    by_shape: dict[frozenset, list[int]] = {}
    for i, r in enumerate(actual):
        by_shape.setdefault(_shape(r), []).append(i)

    def search(i: int) -> bool:
        if i == len(exp):
            return True
        for j in by_shape[_shape(exp[i])]:
            if taken[j]:
                continue
            pairs = _extend(mapping, used, exp[i], actual[j])
            if pairs is None:
                continue
            taken[j] = True
            if search(i + 1):
                return True
            taken[j] = False
            _undo(mapping, used, pairs)
        return False

    return search(0)


def _row_str(r: Row) -> str:
    return "{" + ", ".join(f"?{k}={term_str(v)}" for k, v in sorted(r.items())) + "}"


def rows_diff(expected: list[Row], actual: list[Row], limit: int = 8) -> str:
    """Rows missing from / unexpected in the actual results (blank nodes compared as 'some blank node')."""
    e, a = Counter(map(_shape, expected)), Counter(map(_shape, actual))
    by_shape = {_shape(r): r for r in expected + actual}
    missing = list((e - a).elements())
    extra = list((a - e).elements())
    out = [f"{len(expected)} expected row(s), {len(actual)} actual"]
    if not missing and not extra:
        out.append("same rows up to blank nodes, but no consistent blank-node mapping")
    for label, rows in (("missing", missing), ("unexpected", extra)):
        for r in rows[:limit]:
            out.append(f"  {label}: {_row_str(by_shape[r])}")
        if len(rows) > limit:
            out.append(f"  ... {len(rows) - limit} more {label}")
    return "\n".join(out)


def compare_results(expected: Results, actual: Results, *, ordered: bool = False,
                    order_vars: list[str] | None = None, check_variables: bool = True) -> str | None:
    """None when the results match, else a description of the difference.

    Unordered results compare as multisets of rows; ordered ones must also list the rows in an
    order compatible with the expected one: the sequence of `order_vars` values must be the same
    (rows tied on the sort keys may come in any order). Without `order_vars`, rows compare by
    position.
    """
    if expected.kind != actual.kind:
        return f"expected a {expected.kind} result, got {actual.kind}"
    if expected.kind == "boolean":
        return None if expected.boolean == actual.boolean else f"expected {expected.boolean}, got {actual.boolean}"
    if check_variables and sorted(expected.variables) != sorted(actual.variables):
        return f"variables differ: expected {expected.variables}, got {actual.variables}"
    if not rows_isomorphic(expected.rows, actual.rows):
        return "rows differ: " + rows_diff(expected.rows, actual.rows)
    if ordered:
        if order_vars:
            def keys(rows: list[Row]) -> list[tuple]:
                return [tuple(("bnode", "") if is_bnode(r.get(v)) else r.get(v) for v in order_vars) for r in rows]

            if keys(expected.rows) != keys(actual.rows):
                return (f"order differs on ORDER BY {order_vars}.\nexpected {expected.describe()}\n"
                        f"actual {actual.describe()}")
        elif not rows_isomorphic(expected.rows, actual.rows, ordered=True):
            return f"row order differs.\nexpected {expected.describe()}\nactual {actual.describe()}"
    return None


def graph_terms(g: Graph) -> set[tuple[Term, Term, Term]]:
    return {(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in g}


def normalized_graph(g: Graph) -> Graph:
    """A copy with language tags lower-cased (they are case-insensitive) for isomorphism checks."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        out.add((s, p, o))
    return out


def graphs_isomorphic(expected: Graph, actual: Graph) -> str | None:
    from rdflib.compare import graph_diff, isomorphic, to_isomorphic

    e, a = normalized_graph(expected), normalized_graph(actual)
    if len(e) == len(a) and isomorphic(e, a):
        return None
    _both, only_e, only_a = graph_diff(to_isomorphic(e), to_isomorphic(a))

    def dump(g: Graph) -> str:
        lines = sorted(" ".join(term_str(from_rdflib(x)) for x in t) for t in g)
        return "\n    ".join(lines[:15]) + (f"\n    ... {len(lines) - 15} more" if len(lines) > 15 else "")

    return (f"graphs differ ({len(e)} expected triples, {len(a)} actual).\n  only expected:\n    {dump(only_e)}"
            f"\n  only actual:\n    {dump(only_a)}")


RDF_MEDIA_TO_RDFLIB = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "nt",
    "text/plain": "nt", "application/rdf+xml": "xml", "application/ld+json": "json-ld",
    "application/trig": "trig", "application/n-quads": "nquads",
}


def parse_rdf_response(body: bytes, content_type: str | None, base: str | None = None) -> Graph:
    fmt = RDF_MEDIA_TO_RDFLIB.get(media_type(content_type))
    if fmt is None:
        raise ResultFormatError(f"Content-Type {content_type!r} is not an RDF syntax this harness reads")
    if fmt in ("trig", "nquads"):
        ds = rdflib.Dataset()
        saved = rdflib.NORMALIZE_LITERALS
        rdflib.NORMALIZE_LITERALS = False
        try:
            ds.parse(data=body, format=fmt, publicID=base)
        finally:
            rdflib.NORMALIZE_LITERALS = saved
        g = Graph()
        for s, p, o, _c in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g
    return parse_rdf_text(body, fmt, base)


# --------------------------------------------------------------------------------------------
# An Agora app for TestClient runs
# --------------------------------------------------------------------------------------------

TEST_BASE_URL = "http://testserver"


@dataclass
class AgoraEnv:
    app: Any
    client: Any
    store: Any
    settings: Any
    token: str
    """A bearer secret with write scope."""
    read_token: str
    """A bearer secret with read scope only."""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def reset(self) -> None:
        """Delete every source (system ones too: the harness stores start without them)."""
        from agora.kg.loader import delete_source

        for info in list(self.store.sources()):
            delete_source(self.store, info.name)

    def load_default(self, docs: list[tuple[bytes, str, str | None]], name: str = "w3c-default") -> str:
        """Load documents (bytes, pyoxigraph format name, base IRI) as one source; returns its graph IRI."""
        from agora.kg.loader import load_documents
        from agora.kg.rdfio import RDFInput, parse_format

        inputs = [RDFInput.from_bytes(data, name=base or "data", fmt=parse_format(fmt), base_iri=base)
                  for data, fmt, base in docs]
        result = load_documents(self.store, inputs, name=name, validate=False, user="w3c-tests")
        return str(result.source.graph_iri)

    def put_graph(self, graph_iri: str, data: bytes, content_type: str = "application/n-triples") -> Any:
        """Graph Store Protocol PUT of a named graph (how a source with an arbitrary IRI is made)."""
        return self.client.put("/store", params={"graph": graph_iri}, content=data,
                               headers={"Content-Type": content_type, **self.auth})

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.store.close()


def make_env(data_dir: Path, **flags: Any) -> AgoraEnv:
    """An app on a fresh data directory: no demo data, no background vocabularies, validation off.

    Validation is off (`validate_on_load=False`) because the W3C data is arbitrary RDF; the
    background ontology is not installed because it would be part of the union default graph.
    """
    from fastapi.testclient import TestClient

    from agora.api.app import create_app
    from agora.kg.config import load_settings
    from agora.kg.store import AgoraStore

    flags.setdefault("base_url", TEST_BASE_URL)
    flags.setdefault("validate_on_load", False)
    flags.setdefault("demo", False)
    settings = load_settings(data_dir, **flags)
    store = AgoraStore(settings, install_background=False)
    app = create_app(settings, store=store, load_demo=False)
    _tok, secret = app.state.ops.create_token("write", name="w3c-harness")
    _rtok, read_secret = app.state.ops.create_token("read", name="w3c-harness-read")
    client = TestClient(app, base_url=TEST_BASE_URL, raise_server_exceptions=False)
    client.__enter__()
    return AgoraEnv(app=app, client=client, store=store, settings=settings, token=secret, read_token=read_secret)


def iter_ntriples(g: Graph) -> Iterator[str]:
    for s, p, o in g:
        yield f"{s.n3()} {p.n3()} {o.n3()} .\n"


def to_ntriples(g: Graph) -> bytes:
    return "".join(iter_ntriples(g)).encode("utf-8")


RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")


def result_set_from_graph(g: Graph) -> Results | None:
    """A DAWG result set written in RDF (rs:ResultSet), or None when the graph holds none."""
    rs = g.value(None, RDF.type, RS.ResultSet, any=False) if (None, RDF.type, RS.ResultSet) in g else None
    if rs is None:
        return None
    b = g.value(rs, RS.boolean)
    if b is not None:
        return Results("boolean", boolean=bool(b.toPython()))
    variables = [str(v) for v in g.objects(rs, RS.resultVariable)]
    solutions = []
    for sol in g.objects(rs, RS.solution):
        row = {str(g.value(bn, RS.variable)): from_rdflib(g.value(bn, RS.value)) for bn in g.objects(sol, RS.binding)}
        index = g.value(sol, RS.index)
        solutions.append((int(index) if index is not None else 0, row))
    solutions.sort(key=lambda x: x[0])
    return Results("bindings", variables, [row for _, row in solutions])


def _numeric(t: Term) -> Any:
    from decimal import Decimal, InvalidOperation

    if t[0] != "literal" or not t[2].startswith(XSD):
        return t
    local = t[2][len(XSD):]
    try:
        if local in ("double", "float"):
            return ("num", float(t[1]))
        if local == "decimal" or local.endswith(("integer", "Integer", "long", "int", "short", "byte")):
            return ("num", float(Decimal(t[1])))
    except (ValueError, InvalidOperation):
        return t
    return t


def equal_by_value(expected: Results, actual: Results) -> bool:
    """Whether the results would match if numeric literals compared by numeric value, whatever their
    datatype (a diagnosis aid for failure messages, never a pass criterion)."""
    if expected.kind != "bindings" or actual.kind != "bindings":
        return False

    def conv(rows: list[Row]) -> list[Row]:
        return [{k: (_numeric(v) if v[0] == "literal" else v) for k, v in r.items()} for r in rows]

    return rows_isomorphic(conv(expected.rows), conv(actual.rows))
