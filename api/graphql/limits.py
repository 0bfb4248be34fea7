"""Limits that reject abusive queries before anything runs: depth, tokens, aliases and cost.

Depth, tokens and aliases use strawberry's extensions. Cost is ours: every field costs 1 and a
connection multiplies the cost of what is under it by its page size (`first`/`last`, or the
default), so "100 datasets x 100 distributions x 100 policies" is refused however shallow it
looks. Variables are known when the rule runs, so `first: $n` is costed at its real value.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension

from .paging import DEFAULT_PAGE, MAX_PAGE

MAX_DEPTH = 15
MAX_TOKENS = 5000
MAX_ALIASES = 30
MAX_COST = 25_000
LIST_ESTIMATE = 10
"""Assumed length of plain (non-connection) lists of objects: participations, rules, results."""


def _page_size(node: FieldNode, variables: dict[str, Any]) -> int:
    for arg in node.arguments or ():
        if arg.name.value not in ("first", "last"):
            continue
        value = arg.value
        if isinstance(value, IntValueNode):
            return min(int(value.value), MAX_PAGE)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return min(int(given), MAX_PAGE) if isinstance(given, int) else DEFAULT_PAGE
    return DEFAULT_PAGE


def _is_list_of_objects(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList) and is_composite_type(get_named_type(type_))


class _Coster:
    def __init__(self, context: ValidationContext, variables: dict[str, Any]) -> None:
        self.schema = context.schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in context.document.definitions
                          if isinstance(d, FragmentDefinitionNode)}

    def selection_set(self, sel: SelectionSetNode, parent: Any, seen: frozenset[str]) -> int:
        total = 0
        for node in sel.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, seen)
            elif isinstance(node, InlineFragmentNode):
                cond = node.type_condition
                target = self.schema.get_type(cond.name.value) if cond else parent
                total += self.selection_set(node.selection_set, target or parent, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                frag = self.fragments.get(name)
                if frag is None or name in seen:
                    continue
                target = self.schema.get_type(frag.type_condition.name.value) or parent
                total += self.selection_set(frag.selection_set, target, seen | {name})
        return total

    def field(self, node: FieldNode, parent: Any, seen: frozenset[str]) -> int:
        if node.name.value.startswith("__"):
            return 0
        fields = parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        definition = fields.get(node.name.value)
        if definition is None or node.selection_set is None:
            return 1
        named = get_named_type(definition.type)
        below = self.selection_set(node.selection_set, named, seen)
        if named.name.endswith("Connection"):
            factor = _page_size(node, self.variables)
        elif getattr(parent, "name", "").endswith("Connection"):
            factor = 1  # edges/nodes: already counted by the connection's page size
        elif _is_list_of_objects(definition.type):
            factor = LIST_ESTIMATE
        else:
            factor = 1
        return 1 + factor * below


def cost_rule(variables: dict[str, Any], limit: int = MAX_COST) -> type[ValidationRule]:
    """A validation rule that refuses operations whose estimated cost exceeds `limit`."""

    class CostRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            coster = _Coster(context, variables)
            for op in context.document.definitions:
                if not isinstance(op, OperationDefinitionNode):
                    continue
                root = self.context.schema.get_root_type(op.operation)
                if root is None:
                    continue
                cost = coster.selection_set(op.selection_set, root, frozenset())
                if cost > limit:
                    context.report_error(GraphQLError(
                        f"query cost {cost} exceeds the limit of {limit}: page sizes multiply (100 datasets with "
                        f"100 distributions each cost over 10,000); ask for smaller pages or fewer nested lists",
                        op, extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": limit}))

    return CostRule


class CostLimiter(SchemaExtension):
    """Adds the cost rule with this request's variables (validation rules see no variables otherwise)."""

    def __init__(self, *, limit: int = MAX_COST) -> None:
        self.limit = limit

    def on_operation(self) -> Any:
        ctx = self.execution_context
        ctx.validation_rules = (*ctx.validation_rules, cost_rule(dict(ctx.variables or {}), self.limit))
        yield


def extensions() -> list[Callable[[], SchemaExtension]]:
    """Fresh extension instances per request (strawberry calls each factory per operation)."""
    return [
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        CostLimiter,
    ]
