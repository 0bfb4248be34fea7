"""Explaining a decision: which rule of which policy decided, what held or failed with which values, what duties follow.

Two renderings of the same facts: `decision_dict` (the JSON of `GET /api/policy/check` and of
`agora policy check --format json`) and `render_text` (the readable CLI output, made from that
JSON so local and server answers print alike). The JSON gives every IRI in full; only the
prose fields (summary, detail, text, rule labels) use prefixed names. Rules are named the way
a curator finds them in the Turtle: the rule's IRI, or "policy:x permission #1" for blank-node
rules (numbered in a stable order, see reader.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine import DENY, NOT_APPLICABLE, PERMIT, Decision
from .evaluate import ConstraintResult, DutyResult, RuleOutcome
from .model import Rule
from .terms import INVALID, PERM, PROHIBIT, compact

_STATE = {True: "holds", False: "fails", None: "undetermined"}
_APPLIES = {True: "applies", False: "does not apply", None: "undetermined"}
_DUTY_VERBS = {
    "attribute": "credit", "delete": "delete the data", "compensate": "pay", "inform": "inform",
    "obtainConsent": "obtain consent from", "anonymize": "anonymise the data", "watermark": "watermark the data",
    "nextPolicy": "pass the data on only under the next policy",
}


def _node(id_: str) -> str | None:
    return None if id_.startswith("_:") else id_


def constraint_text(c: ConstraintResult) -> str:
    if c.logical:
        inner = f" {c.logical} ".join(f"({constraint_text(o)})" for o in c.operands)
        return inner or c.logical
    return _leaf_text(c.left, c.operator, c.right)


def _leaf_text(left: str, operator: str, right: tuple[str, ...] | list[str]) -> str:
    return f"{compact(left)} {compact(operator).removeprefix('odrl:')} {', '.join(map(compact, right))}"


def constraint_dict(c: ConstraintResult) -> dict[str, Any]:
    if c.logical:
        return {"constraint": _node(c.id), "logical": c.logical, "holds": c.state,
                "operands": [constraint_dict(o) for o in c.operands], **({"note": c.note} if c.note else {})}
    out: dict[str, Any] = {"constraint": _node(c.id), "left": c.left, "operator": c.operator,
                           "right": list(c.right), "value": list(c.value), "value_from": c.origin,
                           "holds": c.state}
    if c.note:
        out["note"] = c.note
    return out


def duty_text(duty: Rule, extra: tuple[ConstraintResult, ...] = ()) -> str:
    """A duty as a sentence fragment: "credit agent:dtu", "delete the data (odrl:elapsedTime lteq P30D)"."""
    actions = [a.iri for a in duty.actions] or ["odrl:use"]
    local = compact(actions[0]).removeprefix("odrl:")
    verb = _DUTY_VERBS.get(local, compact(actions[0]))
    parties = [compact(p) for _, p in duty.functions]
    text = verb + (" " + ", ".join(parties) if parties else "")
    terms = [constraint_text(c) for c in extra]
    return text + (f" ({'; '.join(terms)})" if terms else "")


def duty_dict(d: DutyResult) -> dict[str, Any]:
    return {
        "duty": d.rule.label, "duty_id": _node(d.rule.id), "action": [a.iri for a in d.rule.actions],
        "parties": {p: party for p, party in d.rule.functions},
        "terms": [constraint_text(c) for c in d.constraints], "state": d.state,
        "text": duty_text(d.rule, d.constraints),
    }


def rule_ref(o: RuleOutcome) -> dict[str, Any]:
    return {"policy": o.rule.policy, "rule": o.rule.label, "rule_id": _node(o.rule.id), "kind": o.rule.kind}


def rule_dict(o: RuleOutcome) -> dict[str, Any]:
    return {
        **rule_ref(o), "applies": o.state,
        "premises": [{"kind": p.kind, "holds": p.state, "detail": p.detail,
                      **({"refinement": [constraint_dict(r) for r in p.refinements]} if p.refinements else {})}
                     for p in o.premises],
        "constraints": [constraint_dict(c) for c in o.constraints],
        "duties": [duty_dict(d) for d in o.duties],
        **({"restricts": o.restricts} if o.restricts else {}),
    }


def _failed(o: RuleOutcome, state: bool | None) -> list[str]:
    found = [f"{p.kind}: {p.detail}" for p in o.premises if p.state is state]
    found += [f"{constraint_text(c)} ({_value_text(c)})" for c in o.constraints if c.state is state]
    return found


def _value_text(c: ConstraintResult) -> str:
    if c.logical:
        return _STATE[c.state]
    if not c.value:
        return c.note or "no value"
    return f"{', '.join(map(compact, c.value))} from {c.origin}"


def caveats(decision: Decision) -> list[str]:
    """What a Permit does not say by itself: prohibitions that might apply, narrower actions still forbidden."""
    out: list[str] = []
    for o in decision.outcomes:
        if o.rule.kind != "prohibition":
            continue
        others = [p.state for p in o.premises if p.kind != "action"] + [c.state for c in o.constraints]
        if o.state is None:
            why = "; ".join(_failed(o, None))
            out.append(f"{o.rule.label} would forbid this if {why}")
        elif o.restricts and False not in others:
            out.append(f"{compact(o.restricts)} stays prohibited ({o.rule.label})")
    return out


def summary(decision: Decision) -> str:
    r = decision.request
    what = f"{compact(r.action)} of {compact(r.target) if r.target else 'the target'} by {compact(r.party)}"
    if r.purpose:
        what += " for " + ", ".join(map(compact, r.purpose))
    conflict = decision.conflict
    if decision.decision == PERMIT:
        o = decision.decided_by[0]
        text = f"Permit: {o.rule.label} grants {what}"
        if conflict:
            text += f" (it conflicts with {', '.join(p.rule.label for p in conflict.prohibitions)}; " \
                    f"the conflict strategy {compact(PERM)} lets the permission win)"
        if decision.duties:
            text += "; duties: " + "; ".join(duty_text(d.rule, d.constraints) for d in decision.duties)
        return text
    if decision.decision == DENY:
        if conflict and conflict.strategy == INVALID:
            return (f"Deny: {', '.join(p.rule.label for p in conflict.permissions)} and "
                    f"{', '.join(p.rule.label for p in conflict.prohibitions)} both apply to {what}; under the "
                    f"conflict strategy {compact(INVALID)} the policy is void for this request and grants nothing")
        labels = ", ".join(o.rule.label for o in decision.decided_by if o.rule.kind == "prohibition")
        text = f"Deny: {labels} forbids {what}"
        if conflict and conflict.strategy == PROHIBIT:
            text += f" (overriding {', '.join(p.rule.label for p in conflict.permissions)}: conflict strategy " \
                    f"{compact(PROHIBIT)})"
        return text
    if not decision.governing:
        return f"NotApplicable: no policy governs {compact(r.target) if r.target else 'the target'}"
    text = f"NotApplicable: no rule grants or forbids {what}"
    perms = [o for o in decision.outcomes if o.rule.kind == "permission"]
    if perms:
        closest = min(perms, key=lambda o: len(_failed(o, False)) + len(_failed(o, None)))
        reasons = _failed(closest, False) + [f"{x} is undetermined" for x in _failed(closest, None)]
        text += f"; {closest.rule.label} does not apply: " + "; ".join(reasons)
    return text


def decision_dict(decision: Decision, labels: Callable[[list[str]], dict[str, str]] | None = None) -> dict[str, Any]:
    """The JSON form of a decision (stable keys; see the module docstring)."""
    conflict = decision.conflict
    out: dict[str, Any] = {
        "decision": decision.decision,
        "summary": summary(decision),
        "request": decision.request.to_dict(),
        "at": decision.at.isoformat().replace("+00:00", "Z"),
        "policies": [{"policy": g.policy.iri, "title": g.policy.title, "type": g.policy.type_iri,
                      "conflict": g.policy.conflict, "found_by": g.via}
                     for g in decision.governing],
        "decided_by": [rule_ref(o) for o in decision.decided_by],
        "conflict": None if conflict is None else {
            "strategy": conflict.strategy,
            "stated": dict(conflict.stated),
            "permissions": [o.rule.label for o in conflict.permissions],
            "prohibitions": [o.rule.label for o in conflict.prohibitions],
        },
        "duties": [duty_dict(d) for d in decision.duties],
        "obligations": [rule_ref(o) | {"duties": [duty_text(o.rule, o.constraints)]} for o in decision.obligations],
        "caveats": caveats(decision),
        "notes": list(decision.notes),
        "rules": [rule_dict(o) for o in decision.outcomes],
    }
    if decision.decision == NOT_APPLICABLE:
        out["missing"] = [f"{o.rule.label}: " + "; ".join(_failed(o, None))
                          for o in decision.outcomes if o.rule.kind == "permission" and o.state is None]
    if labels is not None:
        r = decision.request
        names = [r.party, r.target or "", *[g.policy.iri for g in decision.governing]]
        out["labels"] = labels([n for n in names if n])
    return out


def decision_text(decision: Decision, labels: dict[str, str] | None = None) -> str:
    """A readable explanation for the terminal."""
    body = decision_dict(decision)
    if labels:
        body["labels"] = labels
    return render_text(body)


def render_text(body: dict[str, Any]) -> str:
    """The readable explanation, from the JSON form (so the CLI renders local and server answers alike)."""
    labels: dict[str, str] = body.get("labels") or {}
    r = body["request"]

    def name(iri: str) -> str:
        label = labels.get(iri)
        return f"{compact(iri)} ({label})" if label else compact(iri)

    lines = [f"Decision: {body['decision']}", "", body["summary"], "", "Request:"]
    lines.append(f"  party    {name(r['party'])}")
    lines.append(f"  action   {compact(r['action'])}")
    if r.get("target"):
        lines.append(f"  target   {name(r['target'])}")
    for key in ("purpose", "spatial", "recipient", "industry"):
        if r.get(key):
            lines.append(f"  {key:<8} {', '.join(map(compact, r[key]))}")
    for key in ("count", "elapsedTime"):
        if r.get(key) is not None:
            lines.append(f"  {key:<8} {r[key]}")
    lines.append(f"  at       {body['at']}")
    if body["policies"]:
        lines += ["", "Policies:"]
        for p in body["policies"]:
            title = f' "{p["title"]}"' if p.get("title") else ""
            conflict = compact(p["conflict"]) if p["conflict"] else "not stated: odrl:invalid"
            lines.append(f"  {compact(p['policy'])}{title} [{compact(p['type'])}, conflict {conflict}, "
                         f"found by {p['found_by']}]")
    if body["duties"] or body["obligations"]:
        lines += ["", "Duties that come with this permission:"]
        lines += [f"  - {d['text']}" + (f" [{d['state']}]" if d["state"] != "unknown" else "") for d in body["duties"]]
        lines += [f"  - {'; '.join(o['duties'])} (obligation {o['rule']})" for o in body["obligations"]]
    if body["rules"]:
        lines += ["", "Rules:"]
        for rule in body["rules"]:
            lines.append(f"  [{_APPLIES[rule['applies']]}] {rule['rule']}")
            for p in rule["premises"]:
                lines.append(f"      {p['kind']}: {p['detail']} -> {_STATE[p['holds']]}")
                for c in p.get("refinement", []):
                    lines += _constraint_lines(c, 8, "refinement ")
            for c in rule["constraints"]:
                lines += _constraint_lines(c, 6, "constraint ")
            lines += [f"      duty: {d['text']}" for d in rule["duties"]]
    extra = body["caveats"] + body["notes"] + body.get("missing", [])
    if extra:
        lines += ["", "Notes:"] + [f"  - {n}" for n in extra]
    return "\n".join(lines) + "\n"


def _constraint_lines(c: dict[str, Any], indent: int, kind: str) -> list[str]:
    pad = " " * indent
    if c.get("logical"):
        lines = [f"{pad}{c['logical']} -> {_STATE[c['holds']]}"]
        for o in c["operands"]:
            lines += _constraint_lines(o, indent + 2, kind)
        return lines
    value = f"{', '.join(map(compact, c['value']))} from {c['value_from']}" if c["value"] else c.get("note", "no value")
    return [f"{pad}{kind}{_leaf_text(c['left'], c['operator'], c['right'])}: {value} -> {_STATE[c['holds']]}"]
