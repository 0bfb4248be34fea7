"""SPARQL result serialisation (JSON, XML, CSV, TSV), streaming and fidelity-aware.

pyoxigraph can serialise results itself, but it would print the canonical forms of literals
and could not print an upper-case language tag; Agora's results carry the originals, so these
writers take plain terms. Each writer yields bytes chunks so large results stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from .fidelity import CasedLangLiteral

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

SELECT_MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}


def term_json(t: object) -> dict[str, str]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, CasedLangLiteral):
        return {"type": "literal", "value": t.value, "xml:lang": t.language}
    if isinstance(t, ox.Literal):
        if t.language:
            return {"type": "literal", "value": t.value, "xml:lang": t.language}
        if t.datatype.value != XSD_STRING:
            return {"type": "literal", "value": t.value, "datatype": t.datatype.value}
        return {"type": "literal", "value": t.value}
    if isinstance(t, ox.Triple):
        return {"type": "triple", "value": {"subject": term_json(t.subject),  # type: ignore[dict-item]
                                            "predicate": term_json(t.predicate), "object": term_json(t.object)}}
    raise TypeError(f"not an RDF term: {t!r}")


def term_nt(t: object) -> str:
    if isinstance(t, CasedLangLiteral):
        return t.n3()
    return str(t)


_encode = json.JSONEncoder(ensure_ascii=False).encode
"""One encoder for every row: ``json.dumps`` with options builds a new encoder per call."""


def select_json(variables: list[str], rows: Iterable[list[object | None]]) -> Iterator[bytes]:
    yield (b'{"head":{"vars":' + json.dumps(variables).encode() + b'},"results":{"bindings":[')
    first = True
    for row in rows:
        binding = {v: term_json(t) for v, t in zip(variables, row, strict=True) if t is not None}
        yield (b"" if first else b",") + _encode(binding).encode()
        first = False
    yield b"]}}"


def ask_json(value: bool) -> bytes:
    return json.dumps({"head": {}, "boolean": value}).encode()


def _xml_term(t: object) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, CasedLangLiteral):
        return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
    if isinstance(t, ox.Literal):
        if t.language:
            return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
        if t.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
        return f"<literal>{escape(t.value)}</literal>"
    if isinstance(t, ox.Triple):
        return (f"<triple><subject>{_xml_term(t.subject)}</subject><predicate>{_xml_term(t.predicate)}"
                f"</predicate><object>{_xml_term(t.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {t!r}")


_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def select_xml(variables: list[str], rows: Iterable[list[object | None]]) -> Iterator[bytes]:
    head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
    yield f"{_XML_HEAD}<head>{head}</head><results>".encode()
    for row in rows:
        parts = "".join(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                        for v, t in zip(variables, row, strict=True) if t is not None)
        yield f"<result>{parts}</result>\n".encode()
    yield b"</results></sparql>"


def ask_xml(value: bool) -> bytes:
    return f"{_XML_HEAD}<head/><boolean>{'true' if value else 'false'}</boolean></sparql>".encode()


def _csv_field(t: object | None) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.BlankNode):
        value = "_:" + t.value
    elif isinstance(t, ox.NamedNode | ox.Literal | CasedLangLiteral):
        value = t.value
    else:
        value = str(t)
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value


def select_csv(variables: list[str], rows: Iterable[list[object | None]]) -> Iterator[bytes]:
    yield (",".join(variables) + "\r\n").encode()
    for row in rows:
        yield (",".join(_csv_field(t) for t in row) + "\r\n").encode()


def select_tsv(variables: list[str], rows: Iterable[list[object | None]]) -> Iterator[bytes]:
    yield ("\t".join("?" + v for v in variables) + "\n").encode()
    for row in rows:
        yield ("\t".join("" if t is None else term_nt(t) for t in row) + "\n").encode()


def ask_text(value: bool, fmt: str) -> bytes:
    if fmt == "xml":
        return ask_xml(value)
    if fmt in ("csv", "tsv"):
        return (("_askResult\r\n" if fmt == "csv" else "?_askResult\n") + ("true" if value else "false")
                + ("\r\n" if fmt == "csv" else "\n")).encode()
    return ask_json(value)


SELECT_WRITERS = {"json": select_json, "xml": select_xml, "csv": select_csv, "tsv": select_tsv}
