"""IRIs of the ODRL 2.2 terms the engine understands, and how IRIs are shown to people.

One place for the vocabulary, so the reader, the evaluator and the explanations agree on what
a term means. Compact forms use Agora's prefixes (agora.kg.namespaces.PREFIXES) plus a few that
only policies use (agent:, policy:), so explanations read like the Turtle they came from.
"""

from __future__ import annotations

from ..errors import BadInput
from ..namespaces import AGORA, DCAT, DCT, ODRL, OWL, PREFIXES, PURPOSE, RDF, RDFS, SKOS


def odrl(local: str) -> str:
    return ODRL + local


# -- policy structure ---------------------------------------------------------------------------
POLICY_TYPES = frozenset(odrl(t) for t in ("Policy", "Set", "Offer", "Agreement", "Privacy", "Ticket", "Assertion"))
"""Policy classes that grant or forbid something. odrl:Request is deliberately absent: a request
asks for a permission, it does not give one."""
REQUEST_TYPE = odrl("Request")
RULE_PROPERTIES = {odrl("permission"): "permission", odrl("prohibition"): "prohibition",
                   odrl("obligation"): "obligation"}
DUTY = odrl("duty")
REMEDY = odrl("remedy")
CONSEQUENCE = odrl("consequence")
FAILURE = odrl("failure")
CONSTRAINT = odrl("constraint")
REFINEMENT = odrl("refinement")
ACTION = odrl("action")
TARGET = odrl("target")
ASSIGNEE = odrl("assignee")
ASSIGNER = odrl("assigner")
UID = odrl("uid")
INHERIT_FROM = odrl("inheritFrom")
CONFLICT = odrl("conflict")
PROFILE = odrl("profile")
HAS_POLICY = odrl("hasPolicy")
PART_OF = odrl("partOf")
SOURCE = odrl("source")
INCLUDED_IN = odrl("includedIn")
IMPLIES = odrl("implies")
LEFT_OPERAND = odrl("leftOperand")
OPERATOR = odrl("operator")
RIGHT_OPERAND = odrl("rightOperand")
RIGHT_OPERAND_REFERENCE = odrl("rightOperandReference")
UNIT = odrl("unit")
DATA_TYPE = odrl("dataType")
STATUS = odrl("status")
PARTY_COLLECTION = odrl("PartyCollection")
ASSET_COLLECTION = odrl("AssetCollection")
LOGICAL_OPERATORS = {odrl("and"): "and", odrl("or"): "or", odrl("xone"): "xone", odrl("andSequence"): "andSequence"}
FUNCTION_PROPERTIES = frozenset(odrl(p) for p in (
    "attributedParty", "attributingParty", "compensatedParty", "compensatingParty", "consentingParty",
    "consentedParty", "informedParty", "informingParty", "trackingParty", "trackedParty", "contractingParty",
    "contractedParty", "payeeParty"))
"""Party functions a duty can name besides assigner/assignee (who is credited, paid, informed...)."""

# -- conflict strategies ------------------------------------------------------------------------
PERM = odrl("perm")
PROHIBIT = odrl("prohibit")
INVALID = odrl("invalid")
DEFAULT_CONFLICT = INVALID
"""The ODRL 2.2 vocabulary: "If no strategy is specified, the default is invalid" (odrl:conflict)."""

# -- operators and left operands ----------------------------------------------------------------
OPERATORS = frozenset(odrl(o) for o in ("eq", "neq", "lt", "lteq", "gt", "gteq", "isA", "isPartOf", "isAnyOf",
                                        "isAllOf", "isNoneOf", "hasPart"))
USE = odrl("use")
PURPOSE_OP = odrl("purpose")
DATETIME = odrl("dateTime")
SPATIAL = odrl("spatial")
RECIPIENT = odrl("recipient")
INDUSTRY = odrl("industry")
COUNT = odrl("count")
ELAPSED_TIME = odrl("elapsedTime")

# -- other vocabularies used for background knowledge ----------------------------------------
RDF_TYPE = RDF + "type"
RDF_VALUE = RDF + "value"
RDF_FIRST = RDF + "first"
RDF_REST = RDF + "rest"
RDF_NIL = RDF + "nil"
RDFS_SUBCLASS = RDFS + "subClassOf"
SKOS_BROADER = SKOS + "broader"
SKOS_NARROWER = SKOS + "narrower"
SKOS_EXACT = SKOS + "exactMatch"
OWL_SAME = OWL + "sameAs"
DCT_IS_PART_OF = DCT + "isPartOf"
DCT_HAS_PART = DCT + "hasPart"
DCT_TYPE = DCT + "type"
DCT_TITLE = DCT + "title"
DCAT_DISTRIBUTION = DCAT + "distribution"
AGORA_CITY = AGORA + "city"
AGORA_COUNTRY = AGORA + "country"
AGORA_HAS_ROLE = AGORA + "hasRole"

DISPLAY_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "agent": "https://agora.example.org/id/org/",
    "policy": "https://agora.example.org/id/policy/",
    "place": "https://agora.example.org/id/place/",
    "country": "http://publications.europa.eu/resource/authority/country/",
    "pubtype": "http://purl.org/adms/publishertype/",
    "cc": "http://creativecommons.org/ns#",
}
"""Prefixes for showing IRIs. Input accepts them too: Agora's PREFIXES, plus the EU authority tables and
the demo catalog's namespaces, so `--party agent:stad-antwerpen` works on the demo."""


ANY_PARTY = "urn:agora:policy:any-party"
"""Stands for "any party" where only the asset matters (collection membership, conflict witnesses)."""


def compact(iri: str) -> str:
    """`odrl:use` for the ODRL use IRI; the IRI itself when no prefix fits (or the rest is not a plain name)."""
    if iri == ANY_PARTY:
        return "any party"
    best = ""
    best_prefix = ""
    for prefix, ns in DISPLAY_PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, best_prefix = ns, prefix
    if best:
        local = iri[len(best):]
        if local and all(c.isalnum() or c in "-_." for c in local):
            return f"{best_prefix}:{local}"
    return iri


def expand(value: str, *, default_namespace: str | None = None, what: str = "IRI") -> str:
    """A full IRI from what a person typed: `<iri>`, an absolute IRI, a CURIE with a known prefix or a bare name.

    Bare names (no colon) are only accepted where a natural namespace exists (`use` for an action,
    `urban-planning` for a purpose), because guessing a namespace for parties or datasets would
    silently ask about the wrong thing.
    """
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
    elif "://" in text or text.startswith(("urn:", "mailto:")):
        iri = text
    elif ":" in text:
        prefix, local = text.split(":", 1)
        ns = DISPLAY_PREFIXES.get(prefix)
        if ns is None:
            known = ", ".join(sorted(DISPLAY_PREFIXES))
            raise BadInput(f"{what} {value!r}: unknown prefix {prefix!r} (known: {known}); give a full IRI instead")
        iri = ns + local
    elif default_namespace and text:
        iri = default_namespace + text
    else:
        raise BadInput(f"{what} {value!r} is not an IRI or CURIE")
    if not iri or any(c in iri for c in '<>"{}|^`\\ \n\t'):
        raise BadInput(f"{what} {value!r} is not a valid IRI")
    return iri


ACTION_NAMESPACE = ODRL
PURPOSE_NAMESPACE = PURPOSE
