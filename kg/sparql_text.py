"""Just enough SPARQL lexing to map graph names between public and physical IRIs.

Sources have a stable public graph IRI, but their triples live in versioned physical graphs
(so that a replace is one atomic switch). In a query or update, IRIs in *graph-name positions*
(after GRAPH, FROM, FROM NAMED, USING, WITH, INTO, TO, ADD/MOVE/COPY...) are rewritten to the
physical graph; the same IRI used as a subject or object stays as it is. In queries, a variable
graph name (`GRAPH ?g { ... }`) is joined with a VALUES table so that ?g binds to the public IRI
and joins with data that mentions it. Strings and comments are never touched.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<prefixdecl>(?i:PREFIX)\s+(?P<pfx>[A-Za-z][\w.-]*)?:\s*<(?P<ns>[^<>"{}|^`\\\x00-\x20]*)>)
  | (?P<basedecl>(?i:BASE)\s*<(?P<base>[^<>"{}|^`\\\x00-\x20]*)>)
  | (?P<var>[?$][\w]+)
  | (?P<pname>(?<![\w?$])(?P<p>[A-Za-z][\w.-]*)?:(?P<local>(?:[\w\-:%]|\.(?=[\w\-:%]))*))
  | (?P<word>[A-Za-z]+)
  | (?P<brace>[{}])
    """,
    re.VERBOSE | re.DOTALL,
)
_GRAPH_POSITION = {"GRAPH", "FROM", "NAMED", "USING", "WITH", "INTO", "TO", "ADD", "MOVE", "COPY", "SILENT"}
HIDDEN_VAR_PREFIX = "__agora_g"


def _resolve(iri: str, base: str | None) -> str:
    if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
        return urljoin(base, iri)
    return iri


def rewrite_iris(text: str, mapping: dict[str, str], *, base_iri: str | None = None,
                 graph_values: list[tuple[str, str]] | None = None) -> str:
    """Map graph names in `text` through `mapping` (public IRI -> physical IRI).

    With `graph_values` (pairs of physical and public IRI), `GRAPH ?v { P }` becomes
    `{ GRAPH ?__agora_gN { P } VALUES (?__agora_gN ?v) { ... } }` (queries only: not valid in
    update templates).
    """
    if not mapping and not graph_values:
        return text
    prefixes: dict[str, str] = {}
    base = base_iri
    out: list[str] = []
    pos = 0
    previous_word = ""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("comment", "string"):
            continue
        if kind == "prefixdecl":
            prefixes[m.group("pfx") or ""] = _resolve(m.group("ns"), base)
            previous_word = ""
            continue
        if kind == "basedecl":
            base = _resolve(m.group("base"), base)
            previous_word = ""
            continue
        if kind == "word":
            previous_word = m.group("word").upper()
            continue
        if kind in ("brace", "var"):
            previous_word = ""
            continue
        iri = None
        if kind == "iri":
            iri = _resolve(m.group("iri")[1:-1], base)
        elif kind == "pname" and (m.group("p") or "") in prefixes:
            iri = prefixes[m.group("p") or ""] + (m.group("local") or "")
        if iri is not None and previous_word in _GRAPH_POSITION and iri in mapping:
            out.append(text[pos:m.start()])
            out.append(f"<{mapping[iri]}>")
            pos = m.end()
        previous_word = ""
    out.append(text[pos:])
    result = "".join(out)
    if graph_values is None:
        return result
    return _wrap_graph_variables(result, graph_values)


def _wrap_graph_variables(text: str, graph_values: list[tuple[str, str]]) -> str:
    values = " ".join(f"(<{phys}> <{pub}>)" for phys, pub in graph_values) or "(UNDEF UNDEF)"
    counter = 0
    while True:
        spans = _graph_var_blocks(text)
        if not spans:
            return text
        start, body_start, end, var = spans[0]  # innermost first
        counter += 1
        hidden = f"?{HIDDEN_VAR_PREFIX}{counter}"
        inner = text[body_start:end]
        replacement = f"{{ GRAPH {hidden} {inner} VALUES ({hidden} {var}) {{ {values} }} }}"
        text = text[:start] + replacement + text[end:]


def _graph_var_blocks(text: str) -> list[tuple[int, int, int, str]]:
    """`GRAPH ?v { ... }` blocks not yet wrapped, innermost first: (start, body start, end, variable)."""
    found: list[tuple[int, int, int, str]] = []
    stack: list[tuple[int, int, str] | None] = []
    state: tuple[int, str] | None = None
    previous = ""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("comment", "string"):
            continue
        if kind == "word":
            previous = m.group(0).upper()
            if previous == "GRAPH":
                state = (m.start(), "")
            continue
        if kind == "var":
            if previous == "GRAPH" and state is not None and not m.group(0)[1:].startswith(HIDDEN_VAR_PREFIX):
                state = (state[0], m.group(0))
            else:
                state = None
            previous = ""
            continue
        if kind == "brace":
            if m.group(0) == "{":
                if state is not None and state[1]:
                    stack.append((state[0], m.start(), state[1]))
                else:
                    stack.append(None)
                state = None
            elif stack:
                opened = stack.pop()
                if opened is not None:
                    found.append((opened[0], opened[1], m.end(), opened[2]))
            previous = ""
            continue
        state = None if kind != "word" else state
        previous = ""
    return found


def has_service_clause(text: str) -> list[str]:
    """The endpoints of SERVICE clauses outside strings and comments (used to refuse unlisted ones)."""
    found: list[str] = []
    cleaned = _TOKEN.sub(lambda m: " " if m.lastgroup in ("comment", "string") else m.group(0), text)
    for m in re.finditer(r"(?i)\bSERVICE\s+(?:SILENT\s+)?(<[^>]*>|\S+)", cleaned):
        found.append(m.group(1).strip("<>"))
    return found
