"""The Resource interface every catalog node implements, and the catch-all Thing type.

Node objects are light handles (an IRI); their fields read the resource's described properties
through the request's loaders, so building a page of 100 nodes costs nothing until fields are
asked for, and then one batched query per level of the selection.
"""

from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay

from . import terms
from .fields import RDF_TYPE, Lang, with_properties

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LABEL_PATHS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel", "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name", "http://www.w3.org/2006/vcard/ns#fn", RDFS + "label",
)
"""Where a generic label comes from, in order of preference."""


def best_label(props: dict[str, list[Any]], preferences: list[str]) -> str | None:
    for path in LABEL_PATHS:
        chosen = terms.pick_language(props.get(path, []), preferences)
        if chosen is not None:
            return chosen.value
    return None


@strawberry.interface(description="A resource of the catalog graph: it has an IRI and a Relay global id.")
class Resource(relay.Node):
    iri: str = strawberry.field(description="The IRI of the resource.")

    RDF_TYPES: ClassVar[frozenset[str]] = frozenset()
    """rdf:type values that make a resource this GraphQL type (empty: anything described)."""

    @classmethod
    def resolve_id(cls, root: Any, *, info: strawberry.Info) -> str:
        return root.iri

    @classmethod
    def accept(cls, iri: str, props: dict[str, list[Any]]) -> Self | None:
        """This type's node for `iri`, or None when the resource is not of this type."""
        if not props:
            return None
        if cls.RDF_TYPES and not set(terms.iris(props.get(RDF_TYPE, []))) & cls.RDF_TYPES:
            return None
        return cls(iri=iri)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Any, required: bool = False) -> list[Any]:
        ids = list(node_ids)
        described = await info.context.properties_many(ids, (RDF_TYPE,))
        found = [cls.accept(i, p) for i, p in zip(ids, described, strict=True)]
        if required and any(n is None for n in found):
            raise ValueError(f"no {cls.__name__} with that id")
        return found

    @strawberry.field(description="A label in the preferred language (skos:prefLabel, dct:title, foaf:name...).",
                      metadata={"kind": "data", "reads": LABEL_PATHS})
    def label(self, info: strawberry.Info, lang: Lang = None) -> str | None:
        prefs = info.context.preferences(lang)
        return with_properties(self, info, LABEL_PATHS, lambda p: best_label(p, prefs))

    @strawberry.field(description="The rdf:type IRIs of the resource.", metadata={"kind": "data", "reads": (RDF_TYPE,)})
    def types(self, info: strawberry.Info) -> list[str]:
        return with_properties(self, info, (RDF_TYPE,), lambda p: terms.iris(p.get(RDF_TYPE, [])))


@strawberry.type(description="Any other resource (a party collection, a standard, a page...).")
class Thing(Resource):
    pass
