"""Curator mutations: load, replace and delete sources, validate a document.

Outcomes a client must handle (no token, invalid data, bad input) are typed results in a union,
not errors: the HTTP status stays 200 and clients switch on `__typename`. Writes follow the REST
API's rules exactly: a bearer token with write scope, and only the owner (or an admin) may change
a source.
"""

import asyncio
from typing import Annotated, Any

import strawberry

from agora.api.auth import check_owner, claim, require_scope
from agora.kg.errors import AgoraError, BadInput, Forbidden, RDFSyntaxError, Unauthorized, ValidationFailed
from agora.kg.loader import delete_source, load_documents
from agora.kg.rdfio import RDFInput, parse_format
from agora.kg.report_formats import report_json
from agora.kg.validation import validate_documents

from .sources import Source, ValidationReport


@strawberry.type(description="The source was loaded (or replaced).")
class LoadSuccess:
    source: Source
    triples: int
    replaced_version: int | None = strawberry.field(description="The version replaced, if any.")
    warnings: int = strawberry.field(description="Validation warnings (they do not block a load).")
    report: ValidationReport = strawberry.field(description="The validation report (warnings do not block a load).")


@strawberry.type(description="The source was deleted with its history.")
class DeleteSuccess:
    name: str
    iri: str = strawberry.field(description="The graph IRI the source had.")


@strawberry.type(name="ValidationFailed", description="The data violates the profile's shapes; nothing was loaded.")
class ValidationFailedError:
    message: str
    report: ValidationReport


@strawberry.type(description="The request needs a bearer token with write scope (or the source's ownership).")
class PermissionDenied:
    message: str
    reason: str = strawberry.field(description="`unauthenticated` (no valid token) or `forbidden`.")


@strawberry.type(description="The input cannot be used (syntax error, unknown format, existing source...).")
class InputError:
    message: str
    code: str = strawberry.field(description="BadInput, RDFSyntaxError, SourceExists or SourceNotFound.")
    line: int | None = None
    column: int | None = None


LoadResult = Annotated[LoadSuccess | ValidationFailedError | PermissionDenied | InputError,
                       strawberry.union("LoadResult")]
DeleteResult = Annotated[DeleteSuccess | PermissionDenied | InputError, strawberry.union("DeleteResult")]
ValidateResult = Annotated[ValidationReport | InputError, strawberry.union("ValidateResult")]


def _denied(exc: AgoraError) -> PermissionDenied:
    return PermissionDenied(message=exc.message,
                            reason="unauthenticated" if isinstance(exc, Unauthorized) else "forbidden")


def _input_error(exc: BadInput) -> InputError:
    line = exc.details.get("line") if isinstance(exc, RDFSyntaxError) else None
    column = exc.details.get("column") if isinstance(exc, RDFSyntaxError) else None
    return InputError(message=exc.message, code=type(exc).__name__, line=line, column=column)


def _authorize(request: Any, name: str) -> Any:
    """The caller's write token; raises Unauthorized/Forbidden like the REST API (owner or admin only)."""
    token = require_scope(request, "write")
    check_owner(request, token, name)
    return token


def _document(body: str, fmt: str, settings: Any) -> RDFInput:
    try:
        data = body.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\udc80" in the JSON request) is the caller's error
        raise BadInput(f"the body is not valid Unicode: {exc.reason} at character {exc.start}") from None
    if len(data) > settings.max_body_bytes:
        raise BadInput(f"body larger than the limit of {settings.max_body_bytes} bytes")
    return RDFInput.from_bytes(data, name="graphql body", fmt=parse_format(fmt))


Body = Annotated[str, strawberry.argument(description="The RDF document.")]
Format = Annotated[str, strawberry.argument(description="Its syntax: turtle, ntriples, rdfxml, jsonld, trig...")]


@strawberry.type(description="Curator operations (bearer token with write scope), and validation.")
class Mutation:
    @strawberry.mutation(description="Load a source from an RDF document, validated; `replace` to replace it.")
    async def load_source(self, info: strawberry.Info,
                          name: Annotated[str, strawberry.argument(description="The source name.")],
                          body: Body, format: Format = "turtle",
                          replace: Annotated[bool, strawberry.argument(
                              description="Replace the source if it exists.")] = False,
                          profile: Annotated[str | None, strawberry.argument(
                              description="Validation profile (default: the source's, else `agora`).")] = None,
                          ) -> LoadResult:
        request = info.context.request
        store = info.context.store
        try:
            token = _authorize(request, name)
            doc = _document(body, format, request.app.state.settings)
            result = await asyncio.to_thread(load_documents, store, [doc], name=name, replace=replace,
                                             validate=True, profile=profile, user=token.name, origin="graphql")
        except (Unauthorized, Forbidden) as exc:
            return _denied(exc)
        except ValidationFailed as exc:
            report = ValidationReport.from_json(report_json(exc.report))
            return ValidationFailedError(message=exc.message, report=report)
        except BadInput as exc:
            return _input_error(exc)
        ops = request.app.state.ops
        claim(request, token, name)
        ops.audit(token.name, "replace" if result.replaced_version else "load", source=name, triples=result.triples)
        report = ValidationReport.from_json(report_json(result.report) if result.report is not None else
                                            {"conforms": True, "counts": {}, "results": []})
        return LoadSuccess(source=Source.of(result.source), triples=result.triples,
                           replaced_version=result.replaced_version, warnings=result.warnings, report=report)

    @strawberry.mutation(description="Delete a source: its graph, history and metadata.")
    async def delete_source(self, info: strawberry.Info,
                            name: Annotated[str, strawberry.argument(description="Source name or graph IRI.")]
                            ) -> DeleteResult:
        request = info.context.request
        store = info.context.store
        try:
            known = store.get(name)
            token = _authorize(request, known.name if known is not None else name)
            deleted = await asyncio.to_thread(delete_source, store, name)
        except (Unauthorized, Forbidden) as exc:
            return _denied(exc)
        except BadInput as exc:
            return _input_error(exc)
        request.app.state.ops.drop_owner(deleted.name)
        request.app.state.ops.audit(token.name, "delete", source=deleted.name, triples=deleted.current.triples)
        return DeleteSuccess(name=deleted.name, iri=deleted.graph_iri)

    @strawberry.mutation(description="Validate a document against a profile without loading it (no token needed: "
                                     "it writes nothing).")
    async def validate(self, info: strawberry.Info, body: Body, format: Format = "turtle",
                       profile: Annotated[str, strawberry.argument(
                           description="`agora` (DCAT-AP 3 + Agora) or `dcat-ap@3.0.1`.")] = "agora",
                       ) -> ValidateResult:
        settings = info.context.request.app.state.settings
        try:
            doc = _document(body, format, settings)
            report = await asyncio.to_thread(validate_documents, [doc], profile=profile, data_dir=settings.data_dir)
        except BadInput as exc:
            return _input_error(exc)
        return ValidationReport.from_json(report_json(report))
