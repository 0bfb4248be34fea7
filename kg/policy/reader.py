"""Reading ODRL policies out of the store: a few SPARQL queries for every policy's full description.

A policy is a tree of (mostly blank) nodes: rules, constraints, logical constraints, RDF lists,
refined actions and collections. The queries return the triples of every such node, so all
descriptions arrive in a few round trips (once per store generation) and are parsed into the
immutable model (model.py). They deliberately stop at the IRIs a rule names (datasets, parties,
purposes): following odrl:target into 100 dataset descriptions would cost more than the policies
themselves. Their descriptions are background knowledge, read lazily by knowledge.py, except
for party and asset collections, whose refinements are part of the policy's meaning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .model import ActionRef, Constraint, ConstraintNode, EntityRef, Lit, LogicalConstraint, Policy, Rule, Term
from .source import Source
from .terms import (
    ACTION,
    ASSET_COLLECTION,
    ASSIGNEE,
    ASSIGNER,
    CONFLICT,
    CONSEQUENCE,
    CONSTRAINT,
    DATA_TYPE,
    DCT_TITLE,
    DUTY,
    FUNCTION_PROPERTIES,
    INHERIT_FROM,
    LEFT_OPERAND,
    LOGICAL_OPERATORS,
    OPERATOR,
    PARTY_COLLECTION,
    POLICY_TYPES,
    PROFILE,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    RDF_VALUE,
    REFINEMENT,
    REMEDY,
    REQUEST_TYPE,
    RIGHT_OPERAND,
    RIGHT_OPERAND_REFERENCE,
    RULE_PROPERTIES,
    SOURCE,
    TARGET,
    UNIT,
)

_STRUCTURE = "|".join((
    "odrl:permission", "odrl:prohibition", "odrl:obligation", "odrl:duty", "odrl:remedy", "odrl:consequence",
    "odrl:failure", "odrl:constraint", "odrl:refinement", "odrl:and", "odrl:or", "odrl:xone", "odrl:andSequence"))
_REFERENCES = "|".join((
    "odrl:action", "odrl:target", "odrl:assignee", "odrl:assigner", "odrl:rightOperand", "odrl:attributedParty",
    "odrl:consentingParty", "odrl:compensatedParty", "odrl:informedParty", "odrl:trackingParty"))
_TYPES = " ".join(f"<{t}>" for t in sorted(POLICY_TYPES))

QUERIES = (
    # the policies themselves
    f"""SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?s WHERE {{
          {{ ?s a ?type . VALUES ?type {{ {_TYPES} }} }}
          UNION {{ ?s odrl:permission|odrl:prohibition|odrl:obligation ?r }}
        }} }} ?s ?p ?o }}""",
    # rules, duties, remedies, consequences, constraints, refinements, operands of logical constraints
    f"SELECT ?s ?p ?o WHERE {{ ?x {_STRUCTURE} ?s . ?s ?p ?o }}",
    # blank nodes a rule refers to: refined actions (rdf:value + refinement), inline collections, operand values
    f"SELECT ?s ?p ?o WHERE {{ ?x {_REFERENCES} ?s . FILTER(isBlank(?s)) ?s ?p ?o }}",
    # the cells of RDF lists (JSON-LD @list operands), and the members of those lists
    f"SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?l WHERE {{ ?x {_STRUCTURE}|{_REFERENCES} ?l . ?l rdf:first ?f }} }} "
    "?l rdf:rest+ ?s . ?s ?p ?o }",
    f"SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?l WHERE {{ ?x {_STRUCTURE}|{_REFERENCES} ?l . ?l rdf:first ?f }} }} "
    "?l rdf:rest*/rdf:first ?s . ?s ?p ?o }",
    # named party and asset collections with their refinements
    f"""SELECT ?s ?p ?o WHERE {{ {{ SELECT DISTINCT ?n WHERE {{
          {{ ?n a ?type . VALUES ?type {{ odrl:PartyCollection odrl:AssetCollection }} }}
          UNION {{ ?n odrl:refinement ?r }}
        }} }} ?n ({_STRUCTURE}|rdf:first|rdf:rest)* ?s . ?s ?p ?o }}""",
)
"""The triples of every node of every policy description. Each query is a plain join (one step from a
structural property to the node it points to) rather than a transitive path from each policy: every
node of a policy tree is the object of some structural property, and transitive paths over the union
of all source graphs cost ten times more on a 100k-dataset store."""

Graph = dict[str, dict[str, list[Term]]]


def read_policies(source: Source) -> dict[str, Policy]:
    """All policies in the store, parsed; keyed by policy IRI (or "_:id" for blank-node policies)."""
    graph: Graph = defaultdict(lambda: defaultdict(list))
    policies: set[str] = set()
    seen: set[tuple[str, str, Term]] = set()
    for query in QUERIES:
        for subject, p, o in source.select(query):
            assert isinstance(subject, str) and isinstance(p, str) and o is not None
            if (subject, p, o) not in seen:
                seen.add((subject, p, o))
                graph[subject][p].append(o)
    for subject, props in graph.items():
        types = props.get(RDF_TYPE, [])
        if REQUEST_TYPE in types:
            continue  # a request asks for permissions; it grants none
        if any(t in POLICY_TYPES for t in types) or any(p in props for p in RULE_PROPERTIES):
            policies.add(subject)
    return {iri: PolicyParser(graph).policy(iri) for iri in sorted(policies)}


class PolicyParser:
    """Turns the triples of policy descriptions into model objects."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph

    def values(self, node: Term, prop: str) -> list[Term]:
        if isinstance(node, Lit):
            return []
        found = self.g.get(node, {}).get(prop, [])
        out: list[Term] = []
        for v in found:
            out.extend(self.list_items(v))
        return out

    def list_items(self, node: Term) -> list[Term]:
        """An RDF list's members (JSON-LD @list encodes ODRL's and/or operands and multi-valued operands so)."""
        if isinstance(node, Lit) or node == RDF_NIL:
            return [] if node == RDF_NIL else [node]
        props = self.g.get(node, {})
        if RDF_FIRST not in props:
            return [node]
        items: list[Term] = []
        seen: set[str] = set()
        current: Term = node
        while isinstance(current, str) and current != RDF_NIL and current not in seen:
            seen.add(current)
            cell = self.g.get(current, {})
            items.extend(cell.get(RDF_FIRST, []))
            rest = cell.get(RDF_REST, [RDF_NIL])
            current = rest[0] if rest else RDF_NIL
        return items

    def first(self, node: Term, prop: str) -> Term | None:
        vals = self.values(node, prop)
        return vals[0] if vals else None

    def key(self, node: Term, depth: int = 0) -> str:
        """A description of a node that does not depend on blank node ids: orders rules stably across reloads."""
        if isinstance(node, Lit):
            return str(node)
        if not node.startswith("_:") or depth > 6:
            return node
        parts = []
        for p in sorted(self.g.get(node, {})):
            for o in self.g[node][p]:
                parts.append(f"{p}={self.key(o, depth + 1)}")
        return "[" + ";".join(sorted(parts)) + "]"

    def sorted_nodes(self, nodes: Iterable[Term]) -> list[str]:
        return sorted((n for n in nodes if isinstance(n, str)), key=self.key)

    # -- policies and rules ---------------------------------------------------------------------
    def policy(self, iri: str) -> Policy:
        types = tuple(sorted(v for v in self.values(iri, RDF_TYPE) if isinstance(v, str)))
        defaults = {
            ACTION: self.values(iri, ACTION), TARGET: self.values(iri, TARGET),
            ASSIGNEE: self.values(iri, ASSIGNEE), ASSIGNER: self.values(iri, ASSIGNER),
        }
        rules: list[Rule] = []
        for prop, kind in RULE_PROPERTIES.items():
            for ordinal, node in enumerate(self.sorted_nodes(self.values(iri, prop)), 1):
                rules.append(self.rule(node, kind, iri, ordinal, defaults, set()))
        conflict = self.first(iri, CONFLICT)
        titles = [t for t in self.values(iri, DCT_TITLE) if isinstance(t, Lit)]
        title = next((t.value for t in titles if t.language in (None, "", "en")), titles[0].value if titles else None)
        return Policy(
            iri=iri, types=types, conflict=conflict if isinstance(conflict, str) else None,
            inherit_from=tuple(sorted(v for v in self.values(iri, INHERIT_FROM) if isinstance(v, str))),
            profiles=tuple(sorted(v for v in self.values(iri, PROFILE) if isinstance(v, str))),
            rules=tuple(rules), title=title)

    def rule(self, node: str, kind: str, policy: str, ordinal: int, defaults: dict[str, list[Term]],
             visiting: set[str]) -> Rule:
        visiting = visiting | {node}

        def own_or_default(prop: str) -> list[Term]:
            return self.values(node, prop) or defaults.get(prop, [])

        nested_prop = {"permission": DUTY, "prohibition": REMEDY}.get(kind, CONSEQUENCE)
        nested = [self.rule(n, "duty", policy, i, {}, visiting)
                  for i, n in enumerate(self.sorted_nodes(self.values(node, nested_prop)), 1) if n not in visiting]
        functions = tuple(sorted((p, o) for p in FUNCTION_PROPERTIES for o in self.values(node, p)
                                 if isinstance(o, str)))
        return Rule(
            id=node, kind=kind, policy=policy, ordinal=ordinal,
            actions=tuple(self.action(a) for a in own_or_default(ACTION) if isinstance(a, str)),
            targets=tuple(self.entity(t) for t in own_or_default(TARGET) if isinstance(t, str)),
            assignees=tuple(self.entity(p) for p in own_or_default(ASSIGNEE) if isinstance(p, str)),
            assigners=tuple(self.entity(p) for p in own_or_default(ASSIGNER) if isinstance(p, str)),
            constraints=tuple(self.constraint(c, set()) for c in self.sorted_nodes(self.values(node, CONSTRAINT))),
            duties=tuple(nested), functions=functions)

    def action(self, node: str) -> ActionRef:
        value = self.first(node, RDF_VALUE) if node.startswith("_:") else None
        iri = value if isinstance(value, str) else node
        refinements = tuple(self.constraint(c, set()) for c in self.sorted_nodes(self.values(node, REFINEMENT)))
        return ActionRef(iri, refinements)

    def entity(self, node: str) -> EntityRef:
        types = self.values(node, RDF_TYPE)
        refinements = tuple(self.constraint(c, set()) for c in self.sorted_nodes(self.values(node, REFINEMENT)))
        sources = tuple(sorted(s for s in self.values(node, SOURCE) if isinstance(s, str)))
        collection = PARTY_COLLECTION in types or ASSET_COLLECTION in types or bool(refinements)
        return EntityRef(node, collection, refinements, sources)

    def constraint(self, node: str, visiting: set[str]) -> ConstraintNode:
        visiting = visiting | {node}
        for prop, name in LOGICAL_OPERATORS.items():
            operands = self.values(node, prop)
            if operands:
                return LogicalConstraint(node, name, tuple(
                    self.constraint(o, visiting) for o in operands if isinstance(o, str) and o not in visiting))
        left = self.first(node, LEFT_OPERAND)
        op = self.first(node, OPERATOR)
        right: list[Term] = []
        for value in self.values(node, RIGHT_OPERAND):
            inner = self.first(value, RDF_VALUE) if isinstance(value, str) and value.startswith("_:") else None
            right.append(inner if inner is not None else value)
        unit = self.first(node, UNIT)
        data_type = self.first(node, DATA_TYPE)
        return Constraint(
            id=node, left=left if isinstance(left, str) else "", operator=op if isinstance(op, str) else "",
            right=tuple(right),
            right_reference=tuple(v for v in self.values(node, RIGHT_OPERAND_REFERENCE) if isinstance(v, str)),
            unit=unit if isinstance(unit, str) else None, data_type=data_type if isinstance(data_type, str) else None)
