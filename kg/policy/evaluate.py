"""Evaluating one rule against one request: its premises, its constraints, its duties.

A rule is active for a request when everything it states holds: the requested target is (in)
its target, the requesting party is (in) its assignee, the requested action is covered by its
action, and its constraints are satisfied. Each of these is recorded with its values, so the
explanation can say which held and which failed, and why. Truth is three-valued: a constraint
on a value the request does not give is undetermined (None), and an undetermined rule is never
active (a permission is not granted on a guess, a prohibition is reported as a caveat instead).

Duties of a permission do not decide whether it applies; they come with it. The one exception
is a duty known to be violated (the request's `duty_states`, e.g. from a compliance report):
the permission is then not active, as in the SolidLab ODRL test suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .actions import ActionHierarchy
from .knowledge import Knowledge
from .model import Constraint, ConstraintNode, EntityRef, Lit, LogicalConstraint, Request, Rule, show
from .operands import USE, Operand, Subject, resolve
from .operators import Operators, Truth, all3, any3
from .values import show_value, to_value


@dataclass(frozen=True)
class ConstraintResult:
    """How one constraint (or logical constraint) fared, with the values compared."""

    id: str
    state: Truth
    left: str = ""
    operator: str = ""
    right: tuple[str, ...] = ()
    """Right operand values: IRIs in full, literals as their lexical form."""
    value: tuple[str, ...] = ()
    """The left operand's values for this request, written like `right`."""
    origin: str = ""
    logical: str | None = None
    operands: tuple[ConstraintResult, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Premise:
    """Whether the rule's target, assignee or action matches the request."""

    kind: str
    state: Truth
    detail: str
    refinements: tuple[ConstraintResult, ...] = ()


@dataclass(frozen=True)
class DutyResult:
    rule: Rule
    state: str
    """'fulfilled', 'violated' or 'unknown' (what the request says is known about the duty)."""
    constraints: tuple[ConstraintResult, ...] = ()


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    state: Truth
    """True: the rule applies to the request; False: it does not; None: undetermined."""
    premises: tuple[Premise, ...] = ()
    constraints: tuple[ConstraintResult, ...] = ()
    duties: tuple[DutyResult, ...] = ()
    restricts: str | None = None
    """For a prohibition of a narrower action than the one requested: that action (it stays forbidden)."""


class Evaluator:
    """Evaluates rules for requests at one instant (`now`), with the store's knowledge."""

    def __init__(self, knowledge: Knowledge, actions: ActionHierarchy, now: datetime) -> None:
        self.k = knowledge
        self.actions = actions
        self.now = now
        self.ops = Operators(knowledge)

    # -- rules -------------------------------------------------------------------------------------
    def rule(self, rule: Rule, request: Request) -> RuleOutcome:
        prohibition = rule.kind == "prohibition"
        premises: list[Premise] = []
        restricts: str | None = None
        if rule.targets:
            premises.append(self.target_premise(rule.targets, request))
        if rule.assignees:
            premises.append(self.party_premise(rule.assignees, request))
        if rule.actions and rule.kind != "obligation":  # an obligation's action is what must be done
            premise, restricts = self.action_premise(rule, request)
            premises.append(premise)
        constraints = tuple(self.constraint(c, USE, request, prohibition) for c in rule.constraints)
        duties = tuple(self.duty(d, request) for d in rule.duties) if rule.kind != "prohibition" else ()
        state = all3([p.state for p in premises] + [c.state for c in constraints])
        if rule.kind == "permission" and state is True and any(d.state == "violated" for d in duties):
            state = False
        return RuleOutcome(rule, state, tuple(premises), constraints, duties, restricts)

    def duty(self, duty: Rule, request: Request) -> DutyResult:
        known = dict(request.duty_states).get(duty.id, "unknown")
        constraints = tuple(self.constraint(c, USE, request, False) for c in duty.constraints)
        return DutyResult(duty, known, constraints)

    # -- premises -----------------------------------------------------------------------------------
    def target_premise(self, targets: tuple[EntityRef, ...], request: Request) -> Premise:
        if request.target is None:
            return Premise("target", None, "no target requested")
        asset = request.target
        results: list[Truth] = []
        details: list[str] = []
        refinements: list[ConstraintResult] = []
        for ref in targets:
            if ref.iri == asset:
                results.append(True)
                details.append(f"{show(asset)} is the rule's target")
                continue
            member = ref.iri in self.k.ancestors(asset, "asset")
            if ref.refinements:
                refined = [self.constraint(c, Subject("asset", asset), request, False) for c in ref.refinements]
                refinements.extend(refined)
                ok = all3([r.state for r in refined])
                results.append(ok if ok is not None else (True if member else None))
                details.append(f"{show(asset)} {'meets' if ok else 'does not meet'} the refinement of "
                               f"{show(ref.iri)}" if ok is not None else f"refinement of {show(ref.iri)} undetermined")
            else:
                results.append(member)
                details.append(f"{show(asset)} {'is part of' if member else 'is not'} {show(ref.iri)}")
        return Premise("target", any3(results), "; ".join(details), tuple(refinements))

    def party_premise(self, assignees: tuple[EntityRef, ...], request: Request) -> Premise:
        party = request.party
        results: list[Truth] = []
        details: list[str] = []
        refinements: list[ConstraintResult] = []
        for ref in assignees:
            if ref.iri == party:
                results.append(True)
                details.append(f"{show(party)} is the assignee")
                continue
            listed = ref.iri in self.k.ancestors(party, "party")
            if ref.refinements:
                refined = [self.constraint(c, Subject("party", party), request, False) for c in ref.refinements]
                refinements.extend(refined)
                ok = all3([r.state for r in refined])
                if ok is None:
                    ok = True if listed else None
                    details.append(f"{show(party)}: refinement of {show(ref.iri)} undetermined"
                                   + (" (listed as a member)" if listed else ""))
                elif ok:
                    details.append(f"{show(party)} meets the refinement of {show(ref.iri)}")
                else:
                    details.append(f"{show(party)} does not meet the refinement of {show(ref.iri)}"
                                   + (" (although listed as a member)" if listed else ""))
                results.append(ok)
            else:
                results.append(listed)
                details.append(f"{show(party)} {'is a member of' if listed else 'is not'} {show(ref.iri)}")
        return Premise("party", any3(results), "; ".join(details), tuple(refinements))

    def action_premise(self, rule: Rule, request: Request) -> tuple[Premise, str | None]:
        wanted = request.action
        prohibition = rule.kind == "prohibition"
        results: list[Truth] = []
        details: list[str] = []
        refinements: list[ConstraintResult] = []
        restricts: str | None = None
        for ref in rule.actions:
            covered = self.actions.covers(ref.iri, wanted)
            implied = prohibition and not covered and self.actions.canonical(ref.iri) in self.actions.implied(wanted)
            if covered or implied:
                how = ("is" if self.actions.canonical(ref.iri) == self.actions.canonical(wanted)
                       else "includes" if covered else "is implied by")
                detail = f"{show(ref.iri)} {how} {show(wanted)}"
                if ref.refinements:
                    refined = [self.constraint(c, USE, request, prohibition) for c in ref.refinements]
                    refinements.extend(refined)
                    ok = all3([r.state for r in refined])
                    detail += f" (refinement {'holds' if ok else 'fails' if ok is False else 'undetermined'})"
                    results.append(ok)
                else:
                    results.append(True)
                details.append(detail)
            elif prohibition and self.actions.narrower_than(ref.iri, wanted):
                restricts = ref.iri
                results.append(False)
                details.append(f"{show(ref.iri)} is narrower than {show(wanted)}: it stays forbidden on its own")
            else:
                results.append(False)
                details.append(f"{show(ref.iri)} does not cover {show(wanted)}")
        return Premise("action", any3(results), "; ".join(details), tuple(refinements)), restricts

    # -- constraints -------------------------------------------------------------------------------
    def constraint(self, node: ConstraintNode, subject: Subject, request: Request,
                   prohibition: bool) -> ConstraintResult:
        if isinstance(node, LogicalConstraint):
            parts = tuple(self.constraint(c, subject, request, prohibition) for c in node.operands)
            states = [p.state for p in parts]
            if node.operator == "or":
                state = any3(states)
            elif node.operator == "xone":
                trues = sum(1 for s in states if s is True)
                state = False if trues > 1 else (None if None in states else trues == 1)
            else:  # and, andSequence (the order of a sequence cannot be observed in a single decision)
                state = all3(states)
            note = "the order of andSequence is not checked" if node.operator == "andSequence" else None
            return ConstraintResult(node.id, state, logical=node.operator, operands=parts, note=note)
        return self.leaf(node, subject, request, prohibition)

    def leaf(self, c: Constraint, subject: Subject, request: Request, prohibition: bool) -> ConstraintResult:
        right = tuple(show_value(to_value(t)) if isinstance(t, Lit) else t for t in c.right)
        if not c.left or not c.operator:
            return ConstraintResult(c.id, None, c.left, c.operator, right, note="incomplete constraint")
        if c.right_reference and not c.right:
            return ConstraintResult(c.id, None, c.left, c.operator, c.right_reference,
                                    note="rightOperandReference is not dereferenced")
        operand: Operand = resolve(c.left, subject, request, self.now, self.k)
        describes_use = subject.kind == "use"
        state = self.ops.evaluate(c.operator, c.left, operand, c.right, describes_use=describes_use,
                                  prohibition=prohibition)
        note = None
        if not operand.values and operand.origin == "store":
            # The store describes parties and assets: what it does not record, they do not have.
            state = False
            note = f"the store records no {show(c.left)} for {show(subject.iri or '')}"
        elif not operand.values:
            note = f"{show(c.left)} is not known for this request"
        elif state is None:
            note = "the values cannot be compared"
        shown = tuple(show_value(v) for v in operand.values)
        return ConstraintResult(c.id, state, c.left, c.operator, right, shown, operand.origin, note=note)
