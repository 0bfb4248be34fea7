"""Just enough SPARQL lexing to rename IRIs in a query text.

Sources have a stable public graph IRI, but their triples live in versioned physical graphs
(so that a replace is one atomic switch). A query that names `GRAPH <public-iri>` (or
`FROM`, or a prefixed name that expands to it) is rewritten to the physical graph before it
runs; strings and comments are left alone.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<prefixdecl>(?i:PREFIX)\s+(?P<pfx>[A-Za-z][\w.-]*)?:\s*<(?P<ns>[^<>"{}|^`\\\x00-\x20]*)>)
  | (?P<var>[?$][\w]+)
  | (?P<pname>(?<![\w?$])(?P<p>[A-Za-z][\w.-]*)?:(?P<local>(?:[\w\-:%]|\.(?=[\w\-:%]))*))
    """,
    re.VERBOSE | re.DOTALL,
)


def rewrite_iris(text: str, mapping: dict[str, str]) -> str:
    """Replace every IRI in `text` that is a key of `mapping` (given in full or prefixed form)."""
    if not mapping:
        return text
    prefixes: dict[str, str] = {}
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("comment", "string", "var"):
            continue
        if m.group("prefixdecl"):
            prefixes[m.group("pfx") or ""] = m.group("ns")
            continue
        if m.group("iri"):
            iri = m.group("iri")[1:-1]
            if iri in mapping:
                out.append(text[pos:m.start()])
                out.append(f"<{mapping[iri]}>")
                pos = m.end()
            continue
        if m.group("pname") is not None:
            ns = prefixes.get(m.group("p") or "")
            if ns is None:
                continue
            iri = ns + (m.group("local") or "")
            if iri in mapping:
                out.append(text[pos:m.start()])
                out.append(f"<{mapping[iri]}>")
                pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def has_service_clause(text: str) -> list[str]:
    """The endpoints of SERVICE clauses outside strings and comments (used to refuse unlisted ones)."""
    found: list[str] = []
    cleaned = _TOKEN.sub(lambda m: " " if m.lastgroup in ("comment", "string") else m.group(0), text)
    for m in re.finditer(r"(?i)\bSERVICE\s+(?:SILENT\s+)?(<[^>]*>|\S+)", cleaned):
        found.append(m.group(1).strip("<>"))
    return found
