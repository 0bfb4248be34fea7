"""SHACL-SPARQL: sh:sparql constraints, SPARQL-based constraint components and SPARQL targets.

Queries run on pyoxigraph over the data graphs, once per focus node. SHACL pre-binds ``$this``
(and ``$currentShape``, ``$value``, component parameters) by *substitution*, which pyoxigraph's
``substitutions=`` does not reproduce: it only accepts projected variables and binds them after
BIND/subqueries are evaluated. So IRIs and literals are substituted textually (outside strings,
IRIs and comments; a projected ``$this`` becomes ``(<iri> AS ?this)``), and only blank nodes, which
have no query syntax, go through ``substitutions=`` (with the variable added to the projection).
``$shapesGraph`` is not supported: the shapes graph is not in the store.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from .constraints import Constraint, Context
from .paths import ShapesGraphError
from .terms import OxTerm, to_ox
from .valuemap import RawResult, ValueMap
from .vocab import SH, SH_NS

if TYPE_CHECKING:
    from .shapes import Shape


class ValidationFailure(RuntimeError):
    """A SPARQL constraint reported ``?failure true``: SHACL says validation itself failed."""


_TOKEN = re.compile(
    r'(?P<str>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r"|(?P<iri><[^<>\"{}|^`\\\s]*>)"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<var>[?$][A-Za-z_0-9\u00B7\u00C0-\uFFFF]+)"
    r"|(?P<kw>\b(?:SELECT|WHERE|FROM)\b)"
    r"|(?P<brace>\{)|(?P<lp>\()|(?P<rp>\))",
    re.IGNORECASE,
)


def sparql_term(t: OxTerm) -> str | None:
    """SPARQL syntax of a term, or None for blank nodes (which have none)."""
    if isinstance(t, ox.NamedNode):
        return f"<{t.value}>"
    if isinstance(t, ox.Literal):
        lex = t.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if t.language:
            return f'"{lex}"@{t.language}'
        return f'"{lex}"^^<{t.datatype.value}>'
    return None


def substitute(query: str, texts: dict[str, str]) -> str:
    """Replace pre-bound variables by constants, the way SHACL pre-binding is defined."""
    out: list[str] = []
    pos = 0
    in_proj = False
    depth = 0
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        tok = m.group()
        if kind == "kw":
            word = tok.upper()
            if word == "SELECT":
                in_proj, depth = True, 0
            else:
                in_proj = False
        elif kind == "brace":
            in_proj = False
        elif kind == "lp" and in_proj:
            depth += 1
        elif kind == "rp" and in_proj:
            depth -= 1
        elif kind == "var" and tok[1:] in texts:
            rep = texts[tok[1:]]
            if in_proj and depth == 0:
                rep = f"({rep} AS ?{tok[1:]})"
            out.append(query[pos : m.start()])
            out.append(rep)
            pos = m.end()
    out.append(query[pos:])
    return "".join(out)


def _project(query: str, names: Iterable[str]) -> str:
    """Add variables to the outermost SELECT projection (for blank-node substitutions)."""
    m = re.search(r"\bSELECT\s+(DISTINCT\s+|REDUCED\s+)?", query, re.IGNORECASE)
    if m is None or query[m.end() :].lstrip().startswith("*"):
        return query
    present = {v.group()[1:] for v in re.finditer(r"[?$][A-Za-z_0-9]+", query[m.end() : m.end() + 400])}
    extra = " ".join(f"?{n}" for n in names if n not in present)
    return query[: m.end()] + extra + " " + query[m.end() :] if extra else query


def _mentions(query: str, name: str) -> bool:
    return any(m.lastgroup == "var" and m.group()[1:] == name for m in _TOKEN.finditer(query))


def prefixes_for(g: Graph, node: Node) -> str:
    decls: dict[str, str] = {}
    todo = list(g.objects(node, SH.prefixes))
    seen: set[Node] = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for d in g.objects(p, SH.declare):
            pre, ns = g.value(d, SH.prefix), g.value(d, SH.namespace)
            if pre is not None and ns is not None:
                decls[str(pre)] = str(ns)
        todo.extend(g.objects(p, URIRef("http://www.w3.org/2002/07/owl#imports")))
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in sorted(decls.items()))


@dataclass
class Query:
    """A SHACL-SPARQL query with its prefixes and the variables SHACL pre-binds."""

    text: str
    node: Node
    messages: tuple[Literal, ...] = ()
    is_ask: bool = False

    def run(self, ctx: Context, bindings: dict[str, OxTerm]) -> ox.QuerySolutions | bool:
        texts: dict[str, str] = {}
        subs: dict[ox.Variable, OxTerm] = {}
        for name, term in bindings.items():
            t = sparql_term(term)
            if t is None:
                subs[ox.Variable(name)] = term
            else:
                texts[name] = t
        q = substitute(self.text, texts) if texts else self.text
        if subs and not self.is_ask:
            q = _project(q, [v.value for v in subs])
        data = ctx.data
        return data.store.query(q, default_graph=data.graphs, substitutions=subs or None)


def _query(g: Graph, node: Node, unsupported: list[str], *, what: str) -> Query | None:
    select = g.value(node, SH.select)
    ask = g.value(node, SH.ask)
    body = select if select is not None else ask
    if body is None:
        raise ShapesGraphError(f"{what} {node} has neither sh:select nor sh:ask")
    text = prefixes_for(g, node) + str(body)
    if _mentions(text, "shapesGraph"):
        unsupported.append(f"{what} {node}: $shapesGraph is not supported (shapes are not in the store)")
        return None
    msgs = tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal))
    return Query(text=text, node=node, messages=msgs, is_ask=select is None)


def sparql_constraints(g: Graph, node: Node, shape: Shape, unsupported: list[str]) -> Query | None:
    if any(isinstance(d, Literal) and str(d) == "true" for d in g.objects(node, SH.deactivated)):
        return None
    q = _query(g, node, unsupported, what="SPARQL constraint")
    if q is not None and shape.path is not None:
        q.text = q.text.replace("$PATH", shape.path.sparql())
    return q


def _format(msgs: tuple[Literal, ...], sol: dict[str, OxTerm]) -> tuple[Literal, ...] | None:
    if not msgs:
        return None
    out = []
    for m in msgs:
        text = re.sub(
            r"\{[?$]([A-Za-z_0-9]+)\}",
            lambda mm: _show(sol.get(mm.group(1))) if mm.group(1) in sol else mm.group(0),
            str(m),
        )
        out.append(Literal(text, lang=m.language) if m.language else Literal(text))
    return tuple(out)


def _show(t: OxTerm | None) -> str:
    if t is None:
        return ""
    return t.value if isinstance(t, (ox.NamedNode, ox.Literal)) else str(t)


def _solutions(res: ox.QuerySolutions) -> list[dict[str, OxTerm]]:
    names = [v.value for v in res.variables]
    out = []
    for sol in res:
        out.append({n: sol[i] for i, n in enumerate(names) if sol[i] is not None})
    return out


class SparqlConstraint(Constraint):
    component = SH.SPARQLConstraintComponent

    def __init__(self, query: Query, component: URIRef | None = None, params: dict[str, OxTerm] | None = None):
        self.query = query
        if component is not None:
            self.component = component
        self.params = params or {}
        self.is_custom = component is not None

    def check(self, ctx: Context, shape: Shape, vm: ValueMap) -> list[RawResult]:
        out: list[RawResult] = []
        q = self.query
        if q.is_ask:  # SPARQL-based component with an ASK validator: per value node
            for f, vals in vm.items():
                for v in vals:
                    b = {"this": f, "value": v, "currentShape": shape.ox_node, **self.params}
                    if not bool(q.run(ctx, b)):
                        out.append(RawResult(f, v, shape, self, messages=_format(q.messages, b)))
            return out
        source = None if self.is_custom else q.node
        for f in vm.focus:
            b = {"this": f, "currentShape": shape.ox_node, **self.params}
            if not shape.is_property and self.is_custom:
                b["value"] = f
            res = q.run(ctx, b)
            seen: set[tuple] = set()
            for sol in _solutions(res):  # type: ignore[arg-type]
                failure = sol.pop("failure", None)
                if isinstance(failure, ox.Literal) and failure.value in ("true", "1"):
                    raise ValidationFailure(f"SPARQL constraint {q.node} reported a failure for {f}")
                key = tuple(sorted((k, str(v)) for k, v in sol.items()))
                if key in seen:
                    continue
                seen.add(key)
                this = sol.get("this", f)
                value = sol.get("value")
                if value is None and not shape.is_property:
                    value = this
                path = sol.get("path")
                rpath = URIRef(path.value) if isinstance(path, ox.NamedNode) else None
                ctx_vars = {**b, **sol}
                out.append(
                    RawResult(
                        this,
                        value,
                        shape,
                        self,
                        path=rpath,
                        source_constraint=source,
                        messages=_format(q.messages, ctx_vars),
                    )
                )
        return out

    def message(self, shape: Shape) -> str:
        return f"SPARQL constraint {self.query.node} violated" if not self.is_custom else "Constraint violated"


# ============================================================================ components


@dataclass
class Param:
    path: URIRef
    name: str
    optional: bool


@dataclass
class ComponentDef:
    iri: URIRef
    params: list[Param]
    validator: Node | None
    node_validator: Node | None
    property_validator: Node | None
    _queries: dict[Node, Query | None] = field(default_factory=dict)

    def instantiate(self, g: Graph, node: Node, shape: Shape, unsupported: list[str]) -> list[Constraint]:
        values: list[list[Node]] = []
        for p in self.params:
            vals = list(g.objects(node, p.path))
            if not vals and not p.optional:
                return []
            values.append(vals or [None])  # type: ignore[list-item]
        vnode = (self.property_validator if shape.is_property else self.node_validator) or self.validator
        if vnode is None:
            return []
        if g.value(vnode, SH.select) is None and g.value(vnode, SH.ask) is None:
            shape.foreign.append(f"non-SPARQL validator of {self.iri}")
            return []
        if vnode not in self._queries:
            self._queries[vnode] = _query(g, vnode, unsupported, what="validator")
        base = self._queries[vnode]
        if base is None:
            return []
        out: list[Constraint] = []
        for combo in itertools.product(*values):
            params = {p.name: to_ox(v) for p, v in zip(self.params, combo, strict=True) if v is not None}
            text = base.text
            if shape.path is not None:
                text = text.replace("$PATH", shape.path.sparql())
            q = Query(text=text, node=vnode, messages=base.messages or _messages(g, self.iri), is_ask=base.is_ask)
            out.append(SparqlConstraint(q, component=self.iri, params=params))
        return out


def _messages(g: Graph, node: Node) -> tuple[Literal, ...]:
    return tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal))


def compile_components(g: Graph, unsupported: list[str]) -> list[ComponentDef]:
    """SPARQL-based constraint components declared in the shapes graph (not SHACL's own)."""
    out = []
    for comp in set(g.subjects(RDF.type, SH.ConstraintComponent)):
        if not isinstance(comp, URIRef) or str(comp).startswith(SH_NS):
            continue
        validators = [g.value(comp, p) for p in (SH.validator, SH.nodeValidator, SH.propertyValidator)]
        if not any(v is not None for v in validators):
            unsupported.append(f"constraint component {comp}: no SPARQL validator (only SPARQL is supported)")
            continue
        params = []
        for pnode in g.objects(comp, SH.parameter):
            path = g.value(pnode, SH.path)
            if not isinstance(path, URIRef):
                raise ShapesGraphError(f"parameter of {comp} needs an IRI sh:path")
            name = g.value(pnode, SH.varName)
            local = str(name) if name is not None else re.split(r"[#/:]", str(path))[-1]
            optional = any(isinstance(o, Literal) and str(o) == "true" for o in g.objects(pnode, SH.optional))
            params.append(Param(path, local, optional))
        out.append(ComponentDef(comp, params, *validators))
    return out


@dataclass
class SparqlTarget:
    query: Query

    @classmethod
    def parse(cls, g: Graph, node: Node, unsupported: list[str]) -> SparqlTarget | None:
        if g.value(node, SH.select) is None:
            unsupported.append(f"sh:target {node}: only SPARQL-based targets (sh:select) are supported")
            return None
        q = _query(g, node, unsupported, what="SPARQL target")
        return cls(q) if q is not None else None

    def focus_nodes(self, ctx: Context) -> set[OxTerm]:
        res = self.query.run(ctx, {})
        return {sol["this"] for sol in _solutions(res) if "this" in sol}  # type: ignore[arg-type]
