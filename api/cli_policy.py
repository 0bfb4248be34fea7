"""`agora policy ...`: check an ODRL decision, list conflicting policies.

Like the other commands, these run on the store directly, or, while `agora serve` holds the
data directory, through that server's HTTP API (GET /api/policy/check, /api/policy/conflicts),
with the same output. Exit codes: 0 for any decision (Permit, Deny and NotApplicable are all
answers), 2 for bad input (unknown party or target, unknown prefix, bad date), 3 when the store
or server cannot be reached.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from agora.kg.config import Settings, load_settings
from agora.kg.errors import AgoraError, BadInput, StoreUnavailable

policy_app = typer.Typer(help="ODRL policy decisions: check a request, find conflicting policies.",
                         no_args_is_help=True)

err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", "-d", envvar="AGORA_DATA_DIR",
                                               help="Data directory (default ./agora-data).")]
Format = Annotated[str, typer.Option("--format", "-f", help="text or json.")]


def _fail(exc: AgoraError) -> None:
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    raise typer.Exit(exc.exit_code)


def _remote(url: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
    """GET a policy endpoint of the running server; its 4xx answers are bad input, like locally."""
    import httpx

    try:
        r = httpx.get(url.rstrip("/") + path, params={k: v for k, v in params.items() if v not in (None, [], "")},
                      timeout=httpx.Timeout(600, connect=5))
    except httpx.HTTPError as exc:
        raise StoreUnavailable(f"cannot reach the server at {url}: {exc}") from exc
    if r.status_code >= 400:
        try:
            message = r.json().get("message") or r.text
        except ValueError:
            message = r.text
        if r.status_code >= 500:
            raise StoreUnavailable(f"server error {r.status_code}: {message}")
        raise BadInput(str(message))
    return r.json()  # type: ignore[no-any-return]


def _local(settings: Settings, work: Any) -> Any:
    from agora.kg.store import AgoraStore

    store = AgoraStore(settings)
    try:
        return work(store)
    finally:
        store.close()


def _print(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@policy_app.command("check")
def check_command(
    party: Annotated[str, typer.Option("--party", "-p", help="Requesting party (IRI or CURIE).")],
    target: Annotated[str, typer.Option("--target", "-t", help="Dataset or distribution (IRI or CURIE).")],
    action: Annotated[str, typer.Option("--action", "-a", help="odrl:use, odrl:distribute, ...")] = "odrl:use",
    purpose: Annotated[list[str] | None, typer.Option("--purpose", help="Purpose (Agora or DPV); repeatable.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Date or dateTime of the use (default: now).")] = None,
    spatial: Annotated[list[str] | None, typer.Option("--spatial", help="Territory of use (place IRI).")] = None,
    recipient: Annotated[list[str] | None, typer.Option("--recipient", help="Who receives the result.")] = None,
    industry: Annotated[list[str] | None, typer.Option("--industry", help="Industry sector IRI.")] = None,
    count: Annotated[int | None, typer.Option("--count", help="Number of this use (odrl:count).")] = None,
    elapsed: Annotated[str | None, typer.Option("--elapsed", help="Elapsed time, e.g. P30D.")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="Further left operand: LEFT=VALUE, e.g. "
                                                      "odrl:deliveryChannel=<iri>; repeatable.")] = None,
    format: Format = "text",
    data_dir: DataDir = None,
) -> None:
    """Permit, Deny or NotApplicable for a request, with the rule that decided and the duties.

    Example: `agora policy check --party https://agora.example.org/id/org/stad-antwerpen
    --action odrl:use --target https://agora.example.org/id/antwerp/dataset/deelsteps-ritten
    --purpose purpose:urban-planning`
    """
    from agora.api.backend import running_server
    from agora.kg.policy import check, explain
    from agora.kg.policy.explanations import render_text

    try:
        if format not in ("text", "json"):
            raise BadInput(f"unknown format {format!r}; use text or json")
        settings = load_settings(data_dir)
        url = running_server(settings)
        if url is not None:
            body = _remote(url, "/api/policy/check", {
                "party": party, "action": action, "target": target, "purpose": purpose, "at": at,
                "spatial": spatial, "recipient": recipient, "industry": industry, "count": count,
                "elapsed": elapsed, "context": context})
        else:
            body = _local(settings, lambda store: explain(store, check(
                store, party, action, target, purpose, at, spatial=spatial, recipient=recipient,
                industry=industry, count=count, elapsed=elapsed, context=context)))
    except AgoraError as exc:
        _fail(exc)
        return
    _print(json.dumps(body, indent=2, ensure_ascii=False) + "\n" if format == "json" else render_text(body))


@policy_app.command("conflicts")
def conflicts_command(format: Format = "text", data_dir: DataDir = None) -> None:
    """List assets whose policies contradict each other: a permission and a prohibition that can both apply.

    Each conflict comes with a witness request for which both rules apply, and the decision the
    policies' conflict strategy gives for it.

    Example: `agora policy conflicts --format json`
    """
    from agora.api.backend import running_server
    from agora.kg.policy import find_conflicts

    def search(store: Any) -> dict[str, Any]:
        reports, examined = find_conflicts(store)
        return {"conflicts": [r.to_dict() for r in reports], "pairs_examined": examined}

    try:
        if format not in ("text", "json"):
            raise BadInput(f"unknown format {format!r}; use text or json")
        settings = load_settings(data_dir)
        url = running_server(settings)
        body = _remote(url, "/api/policy/conflicts", {}) if url is not None else _local(settings, search)
    except AgoraError as exc:
        _fail(exc)
        return
    if format == "json":
        _print(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    _print(conflicts_text(body))


def conflicts_text(body: dict[str, Any]) -> str:
    from agora.kg.policy.terms import ANY_PARTY, compact

    conflicts = body["conflicts"]
    lines = [f"{len(conflicts)} conflict(s) found ({body['pairs_examined']} permission/prohibition pairs examined)"]
    for c in conflicts:
        w = c["witness"]
        witness = [compact(w["party"]) if w["party"] == ANY_PARTY else f"party {compact(w['party'])}",
                   f"action {compact(w['action'])}"]
        witness += [f"{k} {', '.join(map(compact, w[k]))}" for k in ("purpose", "spatial", "recipient", "industry")
                    if w.get(k)]
        if w.get("at"):
            witness.append(f"at {w['at']}")
        more = f" (and {c['asset_count'] - len(c['assets'])} more)" if c["asset_count"] > len(c["assets"]) else ""
        lines += [
            "",
            f"{c['permission']['rule']}  vs  {c['prohibition']['rule']}",
            f"  assets:   {', '.join(map(compact, c['assets']))}{more}",
            f"  witness:  {'; '.join(witness)}",
            f"  outcome:  {c['decision']} (conflict strategy {compact(c['strategy'])})",
        ]
    return "\n".join(lines) + "\n"
