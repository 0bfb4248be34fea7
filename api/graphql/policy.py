"""Policy decisions in GraphQL: `policyDecision(...)` and `UseCase.flowDecisions`.

The ODRL engine (agora.kg.policy) decides; these types carry its answer, the rule that decided,
the duties that come with a permit, and the full explanation as JSON for clients that want it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import strawberry

from agora.kg.errors import BadInput


@strawberry.type(description="The policy engine's answer to one request: Permit, Deny or NotApplicable, and why.")
class PolicyDecision:
    decision: str = strawberry.field(description="Permit, Deny or NotApplicable.")
    summary: str = strawberry.field(description="One sentence saying which rule decided and why.")
    decided_by: list[str] = strawberry.field(description="IRIs of the policies whose rules decided.")
    duties: list[str] = strawberry.field(description="Duties that come with a permit (attribution, deletion...).")
    explanation: str = strawberry.field(description="The full explanation (constraints, values) as JSON.")


@strawberry.type(description="For one data flow of a use case: may its recipient use the dataset for the purpose?")
class FlowDecision:
    dataset: str | None = strawberry.field(description="IRI of the dataset that flows.")
    provider: str | None = strawberry.field(description="IRI of the provider.")
    recipient: str | None = strawberry.field(description="IRI of the recipient.")
    purposes: list[str] = strawberry.field(description="Purpose IRIs of the flow.")
    decision: str = strawberry.field(description="Permit, Deny or NotApplicable.")
    summary: str = strawberry.field(description="Why.")
    duties: list[str] = strawberry.field(description="Duties that come with a permit.")


def _s(term: Any) -> str | None:
    return None if term is None else str(getattr(term, "value", term))


def decide(store: Any, party: str, action: str, target: str, purpose: str | None, at: str | None) -> PolicyDecision:
    from agora.kg.policy import check, decision_dict

    d = check(store, party=party, action=action, target=target, purpose=purpose, at=at)
    body = decision_dict(d)
    return PolicyDecision(
        decision=d.decision, summary=str(body.get("summary", "")),
        decided_by=sorted({str(r.get("policy")) for r in body.get("decided_by", []) if r.get("policy")}),
        duties=[str(x.get("text", x)) if isinstance(x, dict) else str(x) for x in body.get("duties", [])],
        explanation=json.dumps(body, default=str))


def flow_decisions(store: Any, use_case: str) -> list[FlowDecision]:
    from agora.kg.policy import use_case_flows

    return [FlowDecision(dataset=_s(f["dataset"]), provider=_s(f["provider"]), recipient=_s(f["recipient"]),
                         purposes=[str(getattr(p, "value", p)) for p in f.get("purpose", [])],
                         decision=f["decision"], summary=str(f.get("summary", "")),
                         duties=[str(x) for x in f.get("duties", [])])
            for f in use_case_flows(store, use_case)]


async def resolve_policy_decision(info: strawberry.Info, party: str, target: str, action: str = "odrl:use",
                                  purpose: str | None = None, at: str | None = None) -> PolicyDecision:
    try:
        return await asyncio.to_thread(decide, info.context.store, party, action, target, purpose, at)
    except BadInput as exc:
        raise ValueError(exc.message) from None
