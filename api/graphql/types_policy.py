"""ODRL 2.2 policies: rules (permissions, prohibitions, obligations, duties) and their constraints.

Checked against the policy, rule and constraint shapes of shapes/agora.ttl.
"""

from typing import Any

import pyoxigraph as ox
import strawberry

from . import terms
from .fields import (
    RDF_TYPE,
    key_of,
    links_any,
    ref_any,
    related_any,
    structures,
    text,
    texts,
    typed_nodes,
    value,
    values,
)
from .types_base import Resource

ODRL = "http://www.w3.org/ns/odrl/2/"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FUNCTIONS = ("attributedParty", "attributingParty", "compensatedParty", "compensatingParty", "consentingParty",
             "consentedParty", "contractingParty", "contractedParty", "informedParty", "informingParty",
             "trackingParty", "trackedParty")
"""ODRL party functions other than assigner/assignee (used on duties: whom to credit, ask, inform)."""


@strawberry.type(description="An ODRL policy: a set of rules about the use of assets.")
class Policy(Resource):
    RDF_TYPES = frozenset({ODRL + "Policy", ODRL + "Set", ODRL + "Offer", ODRL + "Agreement"})

    uid = value(ODRL + "uid", "The policy's identifier (odrl:uid).")
    title = text(DCT + "title", "The title in the preferred language.")
    titles = texts(DCT + "title", "The title in every language.")
    description = text(DCT + "description", "The description in the preferred language.")
    issued = value(DCT + "issued", "When it was issued (dct:issued), as loaded.")
    assigner = ref_any(ODRL + "assigner", "The party granting the rules (odrl:assigner).")
    assignee = ref_any(ODRL + "assignee", "The party the rules are granted to (odrl:assignee).")
    conflict = value(ODRL + "conflict", "Conflict strategy (odrl:conflict).")
    targets = links_any(ODRL + "target", "Assets every rule applies to (odrl:target on the policy).")
    permissions = structures(ODRL + "permission", "Rule", "What may be done (odrl:permission).")
    prohibitions = structures(ODRL + "prohibition", "Rule", "What may not be done (odrl:prohibition).")
    obligations = structures(ODRL + "obligation", "Rule", "What must be done (odrl:obligation).")
    governs = related_any(f"?item <{ODRL}hasPolicy> ?parent .", "Assets that point to this policy (odrl:hasPolicy).")

    @strawberry.field(description="The policy subclass: Set, Offer, Agreement or Policy.",
                      metadata={"kind": "data", "reads": (RDF_TYPE,)})
    async def kind(self, info: strawberry.Info) -> str | None:
        props = await info.context.properties(self.iri, (RDF_TYPE,))
        kinds = sorted(t.removeprefix(ODRL) for t in terms.iris(props.get(RDF_TYPE, [])) if t in self.RDF_TYPES)
        return next((k for k in kinds if k != "Policy"), kinds[0] if kinds else None)


@strawberry.type(description="A party in a function other than assigner/assignee (e.g. to attribute or ask).")
class PartyFunction:
    function: str = strawberry.field(description="The function property, e.g. `attributedParty`.")
    party: Resource


@strawberry.type(description="An ODRL rule: a permission, prohibition, obligation or duty.")
class Rule:
    RDF_TYPES = frozenset({ODRL + "Permission", ODRL + "Prohibition", ODRL + "Duty"})
    term: strawberry.Private[Any]

    action = value(ODRL + "action", "The action (odrl:action), e.g. odrl:use.")
    targets = links_any(ODRL + "target", "Assets the rule applies to (odrl:target).")
    assigner = ref_any(ODRL + "assigner", "Who grants it (odrl:assigner).")
    assignee = ref_any(ODRL + "assignee", "Who it is granted to (odrl:assignee).")
    constraints = structures(ODRL + "constraint", "Constraint", "Conditions (odrl:constraint).")
    duties = structures(ODRL + "duty", "Rule", "Duties that come with a permission (odrl:duty).")

    @strawberry.field(description="Permission, Prohibition or Duty (from rdf:type).",
                      metadata={"kind": "data", "reads": (RDF_TYPE,)})
    async def kind(self, info: strawberry.Info) -> str | None:
        props = await info.context.properties(key_of(self), (RDF_TYPE,))
        kinds = sorted(t.removeprefix(ODRL) for t in terms.iris(props.get(RDF_TYPE, [])) if t in self.RDF_TYPES)
        return kinds[0] if kinds else None

    @strawberry.field(description="Other parties and their functions (attributedParty, consentingParty...).")
    async def parties(self, info: strawberry.Info) -> list[PartyFunction]:
        props = await info.context.properties(key_of(self), tuple(ODRL + f for f in FUNCTIONS))
        pairs = [(f, iri) for f in FUNCTIONS for iri in terms.iris(props.get(ODRL + f, []))]
        nodes = await typed_nodes(info, [iri for _, iri in pairs])
        return [PartyFunction(function=f, party=n) for (f, _), n in zip(pairs, nodes, strict=True)]


async def _operands(info: strawberry.Info, root: Any, path: str) -> list["Constraint"]:
    """Operands of a logical constraint: repeated values or an RDF list, whichever was written."""
    ctx = info.context
    props = await ctx.properties(key_of(root), (path,))
    out: list[Constraint] = []
    for head in props.get(path, []):
        node = head
        while isinstance(node, ox.BlankNode | ox.NamedNode) and node != ox.NamedNode(RDF + "nil"):
            key = node if isinstance(node, ox.BlankNode) else node.value
            cell = await ctx.properties(key, (RDF + "first", RDF + "rest"))
            firsts = cell.get(RDF + "first")
            if firsts is None:  # not a list: the value is the constraint itself
                out.append(Constraint(term=node))
                break
            out.extend(Constraint(term=f) for f in firsts if isinstance(f, ox.BlankNode | ox.NamedNode))
            rest = cell.get(RDF + "rest", [])
            node = rest[0] if rest else None
    return out


@strawberry.type(description="An ODRL constraint: `leftOperand operator rightOperand`, or a logical combination.")
class Constraint:
    RDF_TYPES = frozenset({ODRL + "Constraint", ODRL + "LogicalConstraint"})
    term: strawberry.Private[Any]

    left_operand = value(ODRL + "leftOperand", "What is constrained (odrl:leftOperand), e.g. odrl:purpose.")
    operator = value(ODRL + "operator", "The comparison (odrl:operator), e.g. odrl:isA.")
    right_operand = values(ODRL + "rightOperand", "The value(s) compared with (odrl:rightOperand), as loaded.")
    right_operand_reference = values(ODRL + "rightOperandReference", "Where the value is found "
                                                                     "(odrl:rightOperandReference).")

    @strawberry.field(name="and", description="All of these must hold (odrl:and).", metadata={"path": ODRL + "and"})
    async def and_(self, info: strawberry.Info) -> list["Constraint"]:
        return await _operands(info, self, ODRL + "and")

    @strawberry.field(name="or", description="At least one must hold (odrl:or).", metadata={"path": ODRL + "or"})
    async def or_(self, info: strawberry.Info) -> list["Constraint"]:
        return await _operands(info, self, ODRL + "or")

    @strawberry.field(description="Exactly one must hold (odrl:xone).", metadata={"path": ODRL + "xone"})
    async def xone(self, info: strawberry.Info) -> list["Constraint"]:
        return await _operands(info, self, ODRL + "xone")

    @strawberry.field(description="All must hold, in order (odrl:andSequence).",
                      metadata={"path": ODRL + "andSequence"})
    async def and_sequence(self, info: strawberry.Info) -> list["Constraint"]:
        return await _operands(info, self, ODRL + "andSequence")
