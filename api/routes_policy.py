"""Policy decisions over HTTP: check a request, list conflicting policies, evaluate a use case's data flows.

Reads, so public like the rest of the read API. The CLI (`agora policy ...`) calls these while a
server holds the store. Bad input (unknown party or target, unknown prefix, bad date) is a
BadInput, which the app's error handler turns into 400 with a message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from agora.kg.errors import BadInput
from agora.kg.policy import check, explain, find_conflicts, use_case_flows
from agora.kg.policy.terms import expand

router = APIRouter(prefix="/api/policy", tags=["policy"])

Many = Annotated[list[str] | None, Query()]


@router.get("/check", summary="Permit, Deny or NotApplicable for a request, with the explanation")
async def policy_check(
    request: Request,
    party: Annotated[str | None, Query(description="requesting party (IRI or CURIE)")] = None,
    action: Annotated[str, Query(description="action, e.g. odrl:use, odrl:distribute, odrl:aggregate")] = "odrl:use",
    target: Annotated[str | None, Query(description="dataset or distribution (IRI or CURIE)")] = None,
    purpose: Annotated[list[str] | None, Query(description="purpose(s): Agora or DPV IRIs/CURIEs")] = None,
    at: Annotated[str | None, Query(description="date or dateTime of the use (default: now)")] = None,
    spatial: Many = None,
    recipient: Many = None,
    industry: Many = None,
    count: str | None = None,
    elapsed: Annotated[str | None, Query(description="elapsed time, xsd:duration (P30D)")] = None,
    context: Annotated[list[str] | None, Query(description="further left operands: LEFT=VALUE")] = None,
) -> dict[str, Any]:
    if not party:
        raise BadInput("missing query parameter 'party'")
    if not target:
        raise BadInput("missing query parameter 'target'")
    store = request.app.state.store

    def decide() -> dict[str, Any]:
        decision = check(store, party, action, target, purpose, at, spatial=spatial, recipient=recipient,
                         industry=industry, count=count, elapsed=elapsed, context=context)
        return explain(store, decision)

    return await run_in_threadpool(decide)


@router.get("/conflicts", summary="Assets whose policies contradict each other, with a witness request")
async def policy_conflicts(request: Request) -> dict[str, Any]:
    store = request.app.state.store

    def search() -> dict[str, Any]:
        reports, examined = find_conflicts(store)
        return {"conflicts": [r.to_dict() for r in reports], "pairs_examined": examined}

    return await run_in_threadpool(search)


@router.get("/flows", summary="Decisions for each data flow of a use case (recipient, dataset, purpose), with duties")
async def policy_flows(
    request: Request,
    use_case: Annotated[str, Query(description="use case IRI or CURIE")],
    at: str | None = None,
) -> dict[str, Any]:
    store = request.app.state.store
    iri = expand(use_case, what="use case")
    flows = await run_in_threadpool(use_case_flows, store, iri, at=at)
    return {"use_case": iri, "flows": flows}
