"""The action hierarchy: which actions a permission or prohibition of an action covers.

ODRL 2.2 orders actions with odrl:includedIn (transitive: odrl:read is included in odrl:use, so a
permission to use covers reading) and gives exact synonyms with skos:exactMatch (odrl:write is
odrl:modify). The core vocabulary's relations are built in below, copied from the W3C ODRL 2.2
vocabulary (ODRL22.ttl; tests/test_policy_actions.py checks the copy against the file), because
Agora does not load that vocabulary into the store. Relations found in the store (a profile's
own actions, or the vocabulary if someone loads it) are added to them.

odrl:implies ("an action asserts that another action is not prohibited") has no instances in the
core vocabulary; when a store declares some, a prohibition of the implied action also applies to
the implying one.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from .terms import IMPLIES, INCLUDED_IN, ODRL

CC = "http://creativecommons.org/ns#"

_CORE_INCLUDED_IN = (
    ("acceptTracking", "use"), ("aggregate", "use"), ("annotate", "use"), ("anonymize", "use"), ("archive", "use"),
    ("attribute", "use"), ("cc:Attribution", "use"), ("cc:CommercialUse", "use"), ("cc:DerivativeWorks", "use"),
    ("cc:Distribution", "use"), ("cc:Notice", "use"), ("cc:Reproduction", "use"), ("cc:ShareAlike", "use"),
    ("cc:Sharing", "use"), ("cc:SourceCode", "use"), ("compensate", "use"), ("concurrentUse", "use"),
    ("delete", "use"), ("derive", "use"), ("digitize", "use"), ("display", "play"), ("distribute", "use"),
    ("ensureExclusivity", "use"), ("execute", "use"), ("extract", "reproduce"), ("give", "transfer"),
    ("grantUse", "use"), ("include", "use"), ("index", "use"), ("inform", "use"), ("install", "use"),
    ("modify", "use"), ("move", "use"), ("nextPolicy", "use"), ("obtainConsent", "use"), ("play", "use"),
    ("present", "use"), ("print", "use"), ("read", "use"), ("reproduce", "use"), ("reviewPolicy", "use"),
    ("sell", "transfer"), ("stream", "use"), ("synchronize", "use"), ("textToSpeech", "use"),
    ("transform", "use"), ("translate", "use"), ("uninstall", "use"), ("watermark", "use"),
)
_CORE_EXACT_MATCH = (
    ("append", "modify"), ("appendTo", "modify"), ("attachPolicy", "cc:Notice"), ("attachSource", "cc:SourceCode"),
    ("commercialize", "cc:CommercialUse"), ("copy", "reproduce"), ("export", "transform"), ("license", "grantUse"),
    ("pay", "compensate"), ("share", "cc:Sharing"), ("shareAlike", "cc:ShareAlike"), ("write", "modify"),
    ("writeTo", "modify"),
)


def _iri(name: str) -> str:
    return CC + name[3:] if name.startswith("cc:") else ODRL + name


CORE_INCLUDED_IN: tuple[tuple[str, str], ...] = tuple((_iri(a), _iri(b)) for a, b in _CORE_INCLUDED_IN)
CORE_EXACT_MATCH: tuple[tuple[str, str], ...] = tuple((_iri(a), _iri(b)) for a, b in _CORE_EXACT_MATCH)


class ActionHierarchy:
    """Answers "does an act of X count as Y?" over includedIn, exactMatch and implies edges."""

    def __init__(self, included_in: Iterable[tuple[str, str]] = (), exact: Iterable[tuple[str, str]] = (),
                 implies: Iterable[tuple[str, str]] = ()) -> None:
        included = [*CORE_INCLUDED_IN, *included_in]
        self._canon = _representatives([*CORE_EXACT_MATCH, *exact], preferred={a for a, _ in included})
        self._up: dict[str, set[str]] = {}
        for a, b in included:
            self._up.setdefault(self.canonical(a), set()).add(self.canonical(b))
        self._implies: dict[str, set[str]] = {}
        for a, b in implies:
            self._implies.setdefault(self.canonical(a), set()).add(self.canonical(b))
        self.broader = cache(self._broader)
        self.implied = cache(self._implied)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> ActionHierarchy:
        """From (action, relation IRI, action) rows read from the store; relation is includedIn, implies or other."""
        included, exact, implies = [], [], []
        for a, rel, b in rows:
            (included if rel == INCLUDED_IN else implies if rel == IMPLIES else exact).append((a, b))
        return cls(included, exact, implies)

    def canonical(self, action: str) -> str:
        """The representative of the action's synonyms (skos:exactMatch): odrl:write -> odrl:modify."""
        return self._canon.get(action, action)

    # -- closures --------------------------------------------------------------------------------
    def _broader(self, action: str) -> frozenset[str]:
        """The action and every action that includes it (transitively), as canonical IRIs."""
        start = self.canonical(action)
        seen = {start}
        todo = [start]
        while todo:
            for parent in self._up.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)

    def _implied(self, action: str) -> frozenset[str]:
        """Actions that performing `action` entails are not prohibited (odrl:implies, transitively)."""
        seen: set[str] = set()
        todo = [self.canonical(action)]
        while todo:
            for nxt in self._implies.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def covers(self, rule_action: str, requested: str) -> bool:
        """A rule about `rule_action` governs an act of `requested` (same action, a synonym, or a narrower one)."""
        return self.canonical(rule_action) in self.broader(requested)

    def narrower_than(self, rule_action: str, requested: str) -> bool:
        """`rule_action` is strictly narrower than `requested` (a prohibition of it restricts the request)."""
        return self.canonical(rule_action) != self.canonical(requested) and self.covers(requested, rule_action)


def _representatives(pairs: list[tuple[str, str]], preferred: set[str]) -> dict[str, str]:
    """Map every action in a synonym class to one representative.

    The representative is the member placed in the hierarchy (it has includedIn edges), else an ODRL
    core action, else the smallest IRI: so odrl:write and odrl:writeTo both become odrl:modify.
    """
    neighbours: dict[str, set[str]] = {}
    for a, b in pairs:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    out: dict[str, str] = {}
    for start in neighbours:
        if start in out:
            continue
        group, todo = {start}, [start]
        while todo:
            for nxt in neighbours[todo.pop()]:
                if nxt not in group:
                    group.add(nxt)
                    todo.append(nxt)
        rep = min(group, key=lambda a: (a not in preferred, not a.startswith(ODRL), a))
        out.update((member, rep) for member in group)
    return out
