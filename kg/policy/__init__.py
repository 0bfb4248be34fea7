"""The ODRL 2.2 policy engine: Permit, Deny or NotApplicable for a request, with an explanation.

    from agora.kg.policy import check, decision_dict
    d = check(store, party="https://agora.example.org/id/org/stad-antwerpen", action="odrl:use",
              target="https://agora.example.org/id/antwerp/dataset/deelsteps-ritten",
              purpose="purpose:urban-planning")
    d.decision            # 'Permit'
    decision_dict(d)      # which rule of which policy decided, constraint values, duties

Modules, one job each: terms (ODRL IRIs, CURIEs), model (immutable policies and requests),
source (SPARQL access), reader (policies out of the store), knowledge (hierarchies and
descriptions), actions (action hierarchy), values/operands/operators (constraint semantics),
evaluate (one rule), engine (which policies, who wins), explanations (JSON and text),
catalog (usable datasets, use-case flows), conflicts (contradictions with witnesses),
inputs (user input to requests).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .catalog import filter_usable, usable_datasets, use_case_flows
from .conflicts import ConflictReport, find_conflicts
from .engine import DENY, NOT_APPLICABLE, PERMIT, Decision, PolicyEngine, engine_for
from .explanations import decision_dict, decision_text
from .inputs import build_request
from .model import Request
from .source import MemorySource

__all__ = [
    "DENY", "NOT_APPLICABLE", "PERMIT", "ConflictReport", "Decision", "MemorySource", "PolicyEngine", "Request",
    "build_request", "check", "decision_dict", "decision_text", "engine_for", "explain", "filter_usable",
    "find_conflicts", "usable_datasets", "use_case_flows",
]


def check(store: Any, party: str, action: str = "odrl:use", target: str | None = None,
          purpose: str | Iterable[str] | None = None, at: str | datetime | None = None, *,
          spatial: str | Iterable[str] | None = None, recipient: str | Iterable[str] | None = None,
          industry: str | Iterable[str] | None = None, count: int | str | None = None, elapsed: str | None = None,
          context: Iterable[str] | dict[str, str | list[str]] | None = None, policies: Iterable[str] | None = None,
          validate: bool = True) -> Decision:
    """Decide one request. CURIEs are accepted; with `validate`, unknown parties/targets raise BadInput.

    `context` gives further left operands (`["odrl:deliveryChannel=<http://example.org/web>"]`); `policies` evaluates
    exactly those policies instead of the ones governing the target.
    """
    engine = engine_for(store)
    knowledge = engine.snapshot().knowledge if validate else None
    request = build_request(party=party, action=action, target=target, purpose=purpose, at=at, spatial=spatial,
                            recipient=recipient, industry=industry, count=count, elapsed=elapsed,
                            context=context, knowledge=knowledge)
    return engine.check(request, policies=policies)


def explain(store: Any, decision: Decision) -> dict[str, Any]:
    """The JSON explanation of a decision, with human labels for the party, target and policies."""
    knowledge = engine_for(store).snapshot().knowledge
    return decision_dict(decision, labels=knowledge.labels)
