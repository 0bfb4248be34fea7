"""GraphQL over HTTP: the /graphql endpoint (GraphiQL for browsers) and the SDL download.

strawberry answers `application/json` with status 200 in every case (the legacy watershed of
the GraphQL-over-HTTP spec). A client that asks for `application/graphql-response+json` gets
that media type, and status 400 when the request failed before execution (parse, validation or
limit errors), as the spec prescribes.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from cross_web import HTTPException
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from strawberry.fastapi import GraphQLRouter

from agora.kg.store import AgoraStore

from .context import AgoraContext, accept_languages
from .schema import build_schema, sdl

GRAPHQL_RESPONSE = "application/graphql-response+json"
_wants_graphql_response: ContextVar[bool] = ContextVar("agora_graphql_response", default=False)

StoreGetter = Callable[[Request], AgoraStore]


def _prefers_graphql_response(accept: str | None) -> bool:
    """True when the client lists application/graphql-response+json before application/json."""
    if not accept:
        return False
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE not in types:
        return False
    return "application/json" not in types or types.index(GRAPHQL_RESPONSE) < types.index("application/json")


class AgoraGraphQLRouter(GraphQLRouter):
    """strawberry's FastAPI router with GraphQL-over-HTTP response negotiation."""

    async def get_sub_response(self, request: Request) -> Response:
        _wants_graphql_response.set(_prefers_graphql_response(request.headers.get("accept")))
        return await super().get_sub_response(request)

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
                             root_value: Any, request_data: Any) -> Any:
        """As strawberry's, but a mutation sent with GET is 405 Method Not Allowed (GraphQL over HTTP)."""
        try:
            return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                request_data)
        except HTTPException as exc:
            if exc.status_code == 400 and request_adapter.method == "GET" and "not allowed when using" in exc.reason:
                raise HTTPException(405, exc.reason) from exc
            raise

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL, with the page language declared (screen readers need it; axe checks it)."""
        return HTMLResponse(self.graphql_ide_html.replace("<html>", '<html lang="en">', 1))

    def decode_json(self, data: str | bytes) -> object:
        """As strawberry's, but a body that is not UTF-8, or JSON that is not an object (`2690`), is a 400
        like any other unparsable request (strawberry would fail on it with a 500)."""
        import json

        try:
            value = json.loads(data)
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"the body is not UTF-8 ({exc.reason})", "", exc.start) from None
        if not isinstance(value, dict):
            raise HTTPException(400, "expected a JSON object (the request body, or the `variables` parameter)")
        return value

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if _wants_graphql_response.get():
            response.headers["content-type"] = GRAPHQL_RESPONSE + "; charset=utf-8"
            failed_early = isinstance(response_data, dict) and response_data.get("data") is None \
                and bool(response_data.get("errors"))
            if failed_early and response.status_code == 200:
                response.status_code = 400
        return response


def make_graphql_router(store_getter: StoreGetter | Any | None = None) -> APIRouter:
    """An APIRouter with /graphql and /graphql/schema.graphql, to include in the FastAPI app.

    `store_getter` is a function of the request, or an app (its `state.store` is used); by default
    the store of the app serving the request.
    """
    if store_getter is None:
        def getter(request: Request) -> AgoraStore:
            return request.app.state.store
    elif callable(store_getter) and not hasattr(store_getter, "state"):
        getter = store_getter
    else:
        app = store_getter

        def getter(request: Request) -> AgoraStore:
            return app.state.store

    async def get_context(request: Request) -> AgoraContext:
        from agora.kg.deadline import start

        store = getter(request)
        start(store.settings.query_timeout)  # every store query of this request checks it
        return AgoraContext(store, accept_languages(request.headers.get("accept-language")))

    router = APIRouter(tags=["graphql"])

    @router.get("/graphql/schema.graphql", summary="The GraphQL schema (SDL)", response_class=PlainTextResponse)
    def graphql_schema() -> PlainTextResponse:
        return PlainTextResponse(sdl(), media_type="text/plain; charset=utf-8")

    graphql = AgoraGraphQLRouter(build_schema(), path="/graphql", context_getter=get_context,
                                 graphql_ide="graphiql", allow_queries_via_get=True)
    router.include_router(graphql)
    return router
