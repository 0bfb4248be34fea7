"""The strawberry schema: Query, Mutation, every node and structure type, and the query limits."""

from functools import cache

import strawberry

from . import limits
from .mutations import Mutation
from .nodes import NODE_TYPES, STRUCTURE_TYPES
from .query import Query


@cache
def build_schema() -> strawberry.Schema:
    """Built once per process: schema construction walks every type and costs ~0.1 s."""
    return strawberry.Schema(query=Query, mutation=Mutation, types=[*NODE_TYPES, *STRUCTURE_TYPES],
                             extensions=limits.extensions())


def sdl() -> str:
    """The schema in GraphQL SDL, as served at /graphql/schema.graphql."""
    return build_schema().as_str() + "\n"
