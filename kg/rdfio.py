"""Reading and writing RDF files: formats, gzip, safe parsing, and errors with line and column.

Parsing is pyoxigraph's (fast, streaming, never fetches remote JSON-LD contexts). rdflib is used
only where pyoxigraph would lose information the curator cares about: pyoxigraph lowercases
language tags, so a document with upper-case tags ("en-GB") is parsed with rdflib instead.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .errors import BadInput, RDFSyntaxError
from .fidelity import CasedLangLiteral, Original

_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES, "n-triples": ox.RdfFormat.N_TRIPLES, "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS, "n-quads": ox.RdfFormat.N_QUADS, "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "xml": ox.RdfFormat.RDF_XML, "rdfxml": ox.RdfFormat.RDF_XML, "rdf/xml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML, "owl": ox.RdfFormat.RDF_XML, "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD, "json-ld": ox.RdfFormat.JSON_LD, "json": ox.RdfFormat.JSON_LD,
    "n3": ox.RdfFormat.N3,
}
_RDFLIB_NAMES = {
    ox.RdfFormat.TURTLE: "turtle", ox.RdfFormat.N_TRIPLES: "nt", ox.RdfFormat.N_QUADS: "nquads",
    ox.RdfFormat.TRIG: "trig", ox.RdfFormat.RDF_XML: "xml", ox.RdfFormat.JSON_LD: "json-ld",
    ox.RdfFormat.N3: "n3",
}
FORMAT_NAMES = ["turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"]


def parse_format(name: str) -> ox.RdfFormat:
    """A format from a user-facing name, file extension or media type."""
    key = name.strip().lower().split(";")[0].strip()
    if key in _FORMATS:
        return _FORMATS[key]
    fmt = ox.RdfFormat.from_media_type(key) or ox.RdfFormat.from_extension(key.lstrip("."))
    if fmt is None:
        raise BadInput(f"unknown RDF format {name!r}; use one of {', '.join(FORMAT_NAMES)}")
    return fmt


def guess_format(path: str | Path) -> ox.RdfFormat:
    """The syntax from the file name; `.gz` is looked through."""
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext in _FORMATS:
        return _FORMATS[ext]
    fmt = ox.RdfFormat.from_extension(ext) if ext else None
    if fmt is None:
        raise BadInput(f"{path}: cannot tell the RDF syntax from the file name; pass --format "
                       f"({', '.join(FORMAT_NAMES)})")
    return fmt


@dataclass
class RDFInput:
    """A document to load: its bytes (decompressed), syntax, and a name for messages."""

    data: bytes
    format: ox.RdfFormat
    name: str
    base_iri: str | None = None
    path: Path | None = None
    """The file `data` is exactly (not decompressed): a bulk loader may read it from disk itself."""

    @classmethod
    def from_path(cls, path: str | Path, fmt: str | None = None) -> RDFInput:
        p = Path(path)
        if not p.is_file():
            raise BadInput(f"{path}: no such file")
        raw = p.read_bytes()
        doc = cls.from_bytes(raw, name=str(path), fmt=parse_format(fmt) if fmt else guess_format(p),
                             base_iri=p.resolve().as_uri())
        if doc.data is raw:
            doc.path = p
        return doc

    @classmethod
    def from_bytes(cls, raw: bytes, *, name: str, fmt: ox.RdfFormat, base_iri: str | None = None) -> RDFInput:
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise BadInput(f"{name}: broken gzip data ({exc})") from exc
        return cls(raw, fmt, name, base_iri)

    def has_cased_language_tags(self) -> bool:
        return bool(_CASED_LANG[self.format].search(self.data)) if self.format in _CASED_LANG else False


_TURTLE_LIKE = re.compile(rb"[\"']@[A-Za-z0-9-]*[A-Z]")
_CASED_LANG = {
    ox.RdfFormat.TURTLE: _TURTLE_LIKE, ox.RdfFormat.N_TRIPLES: _TURTLE_LIKE,
    ox.RdfFormat.N_QUADS: _TURTLE_LIKE, ox.RdfFormat.TRIG: _TURTLE_LIKE, ox.RdfFormat.N3: _TURTLE_LIKE,
    ox.RdfFormat.RDF_XML: re.compile(rb"xml:lang\s*=\s*[\"'][A-Za-z0-9-]*[A-Z]"),
    ox.RdfFormat.JSON_LD: re.compile(rb"\"@language\"\s*:\s*\"[A-Za-z0-9-]*[A-Z]"),
}


def _syntax_error(exc: SyntaxError, name: str) -> RDFSyntaxError:
    msg = str(exc.msg if getattr(exc, "msg", None) else exc)
    if "LoadDocumentCallback" in msg:
        msg = "remote JSON-LD @context documents are never fetched; inline the context"
    return RDFSyntaxError(msg, source=name, line=getattr(exc, "lineno", None), column=getattr(exc, "offset", None))


def _check_xml(doc: RDFInput) -> None:
    """Refuse entity tricks in RDF/XML before any parser sees them (billion laughs, external entities)."""
    if doc.format is not ox.RdfFormat.RDF_XML:
        return
    head = doc.data[:65536]
    if b"<!ENTITY" in head or b"<!ENTITY" in doc.data:
        body = doc.data
        if re.search(rb"<!ENTITY[^>]*\b(SYSTEM|PUBLIC)\b", body):
            raise BadInput(f"{doc.name}: external XML entities are not allowed")
        # Internal entities are common for namespace abbreviations; forbid ones that reference
        # other entities (the expansion trick) and cap how many there are.
        decls = re.findall(rb"<!ENTITY\s+%?\s*[\w.-]+\s+(\"[^\"]*\"|'[^']*')", body)
        if len(decls) > 64 or any(b"&" in d for d in decls):
            raise BadInput(f"{doc.name}: nested or excessive XML entity declarations are not allowed")


@dataclass
class ParsedQuad:
    quad: ox.Quad
    original: Original | None = None
    """Set when the parser had to lose something (an upper-case language tag)."""


def iter_quads(doc: RDFInput, *, lenient: bool = False) -> Iterator[ParsedQuad]:
    """Every quad of the document, or RDFSyntaxError with the line and column."""
    _check_xml(doc)
    if doc.has_cased_language_tags():
        yield from _iter_with_rdflib(doc)
        return
    try:
        for q in ox.parse(doc.data, format=doc.format, base_iri=doc.base_iri, lenient=lenient):
            yield ParsedQuad(q)
    except SyntaxError as exc:
        raise _syntax_error(exc, doc.name) from None
    except ValueError as exc:
        raise RDFSyntaxError(str(exc), source=doc.name) from None


def _iter_with_rdflib(doc: RDFInput) -> Iterator[ParsedQuad]:
    import rdflib

    ds = rdflib.Dataset()
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False  # keep "012"^^xsd:integer as written
    try:
        ds.parse(data=doc.data, format=_RDFLIB_NAMES[doc.format], publicID=doc.base_iri)
    except Exception as exc:  # rdflib raises many types; all mean "does not parse"
        line = getattr(exc, "lines", None) or getattr(exc, "lineno", None)
        raise RDFSyntaxError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                             source=doc.name, line=line if isinstance(line, int) else None) from None
    finally:
        rdflib.NORMALIZE_LITERALS = normalize
    for s, p, o, g in ds.quads((None, None, None, None)):
        graph = ox.DefaultGraph() if g is None or g == ds.default_graph.identifier or str(g).startswith(
            "urn:x-rdflib:") else ox.NamedNode(str(g))
        original: Original | None = None
        if isinstance(o, rdflib.Literal) and o.language and o.language != o.language.lower():
            original = CasedLangLiteral(str(o), o.language)
        yield ParsedQuad(ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), graph), original)


def from_rdflib(term: object) -> object:
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise BadInput(f"unsupported RDF term {term!r}")


def to_rdflib(term: object) -> object:
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, CasedLangLiteral):
        return rdflib.Literal(term.value, lang=term.language)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)
    raise ValueError(f"cannot convert {term!r}")


def serialize_triples(triples: Iterator[tuple[object, object, object]], fmt: ox.RdfFormat,
                      prefixes: dict[str, str] | None = None, graph: ox.NamedNode | None = None) -> bytes:
    """Serialise restored triples; falls back to rdflib when a term pyoxigraph cannot express appears."""
    items = list(triples)
    if any(isinstance(o, CasedLangLiteral) for _, _, o in items):
        return _serialize_cased(items, fmt, graph)
    if prefixes:
        prefixes = _used_prefixes(prefixes, items)
    out = io.BytesIO()
    if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
        gname = graph if graph is not None else ox.DefaultGraph()
        ox.serialize((ox.Quad(s, p, o, gname) for s, p, o in items), out, format=fmt,
                     prefixes=prefixes if fmt is ox.RdfFormat.TRIG else None)
    else:
        ox.serialize((ox.Triple(s, p, o) for s, p, o in items), out, format=fmt,
                     prefixes=prefixes if fmt is ox.RdfFormat.TURTLE else None)
    return out.getvalue()


def _serialize_cased(items: list[tuple[object, object, object]], fmt: ox.RdfFormat,
                     graph: ox.NamedNode | None) -> bytes:
    """Writers for graphs with upper-case language tags, which pyoxigraph cannot express.

    Line-based formats are written directly (N-Triples is valid Turtle, N-Quads valid TriG);
    RDF/XML and JSON-LD go through rdflib with literal normalisation off.
    """
    from .results import term_nt

    if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE, ox.RdfFormat.N3):
        return "".join(f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n" for s, p, o in items).encode()
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        g = f" {graph}" if graph is not None else ""
        if fmt is ox.RdfFormat.TRIG:
            body = "".join(f"  {term_nt(s)} {term_nt(p)} {term_nt(o)} .\n" for s, p, o in items)
            return (f"{graph} {{\n{body}}}\n" if graph is not None else body).encode()
        return "".join(f"{term_nt(s)} {term_nt(p)} {term_nt(o)}{g} .\n" for s, p, o in items).encode()
    import rdflib

    g2 = rdflib.Graph()
    for s, p, o in items:
        g2.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return g2.serialize(format=_RDFLIB_NAMES.get(fmt, "xml"), encoding="utf-8")


def _used_prefixes(prefixes: dict[str, str], items: list[tuple[object, object, object]]) -> dict[str, str]:
    """Only the prefixes whose namespace occurs, so exports stay readable."""
    used: set[str] = set()
    for s, p, o in items:
        for t in (s, p, o.datatype if isinstance(o, ox.Literal) else o):
            if isinstance(t, ox.NamedNode):
                for k, ns in prefixes.items():
                    if k not in used and t.value.startswith(ns):
                        used.add(k)
    return {k: v for k, v in prefixes.items() if k in used}
