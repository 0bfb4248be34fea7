"""The GraphQL facade over the catalog graph (strawberry).

Include it in the app with `app.include_router(make_graphql_router())`: /graphql (GraphiQL in a
browser, GraphQL over HTTP for clients) and /graphql/schema.graphql (the SDL).
"""

from .http import make_graphql_router
from .schema import build_schema, sdl

__all__ = ["build_schema", "make_graphql_router", "sdl"]
