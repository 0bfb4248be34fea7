"""`agora quality`: MQA-compatible metadata quality scores from the command line.

Like the other commands it works on the store directly, or through the running server that holds
the data directory (GET /api/quality), with the same output either way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agora.kg.config import load_settings
from agora.kg.errors import AgoraError, BadInput

# Own consoles and options instead of importing cli.py: cli.py imports this module to register the
# command, and `python -m agora.api.cli` would otherwise import cli.py twice, circularly.
out = Console()
err = Console(stderr=True)
DataDir = Annotated[Path | None, typer.Option("--data-dir", "-d", envvar="AGORA_DATA_DIR",
                                               help="Data directory (default ./agora-data).")]


def quality_command(
    action: Annotated[str | None, typer.Argument(
        metavar="[linkcheck]", help="`linkcheck`: check the stored access/download URLs now (an explicit job, "
                                    "allowlisted and rate-limited; its results feed the reachability scores). "
                                    "Without it: show the scores.")] = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="Source name: averages, rating bands and "
                                                                      "the weakest datasets.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Dataset IRI: its score and what to fix.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    all_datasets: Annotated[bool, typer.Option("--datasets", help="With --source: every dataset's score "
                                                                  "(JSON).")] = False,
    lowest: Annotated[int, typer.Option("--lowest", help="With --source: how many weakest datasets to list.")] = 10,
    compliance: Annotated[bool, typer.Option("--compliance/--no-compliance", help="Check DCAT-AP compliance "
                                                                                  "(off: faster).")] = True,
    limit: Annotated[int | None, typer.Option("--limit", help="linkcheck: at most this many URLs, the least "
                                                              "recently checked first.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", help="linkcheck: requests in flight at once.")] = 8,
    per_host_interval: Annotated[float, typer.Option("--per-host-interval", help="linkcheck: seconds between two "
                                                                                 "requests to one host.")] = 1.0,
    timeout: Annotated[float, typer.Option("--timeout", help="linkcheck: seconds to wait for an answer.")] = 10.0,
    token: Annotated[str | None, typer.Option("--token", envvar="AGORA_TOKEN",
                                              help="linkcheck through a running server: an admin token.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Score metadata quality the way data.europa.eu's MQA does (405 points, 5 dimensions).

    Without options: one line per source and the overall average. URL reachability is scored
    only from a link-check run (`agora quality linkcheck`); without one it is 0 and marked
    "not checked". The link check sends HEAD requests (or a ranged GET) to the distributions'
    URLs; private addresses only for hosts in allow_hosts (AGORA_ALLOW_HOSTS).

    Example: `agora quality --source copenhagen`, `agora quality --dataset https://... --format json`,
    `agora quality linkcheck --source copenhagen --limit 500`
    """
    try:
        if format not in ("text", "json"):
            raise BadInput(f"unknown format {format!r}; use text or json")
        if action not in (None, "linkcheck"):
            raise BadInput(f"unknown action {action!r}: `agora quality linkcheck`, or no action for the scores")
        if action == "linkcheck":
            params = {"source": source, "limit": limit, "concurrency": concurrency,
                      "per_host_interval": per_host_interval, "timeout": timeout}
            summary = _linkcheck(load_settings(data_dir), params, token)
            if format == "json":
                sys.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
            else:
                _print_linkcheck(summary)
            return
        params: dict[str, Any] = {"compliance": compliance}
        if dataset:
            params["dataset"] = dataset
        if source:
            params["source"] = source
        if source and not dataset:
            params.update(datasets=all_datasets, lowest=lowest)
        result = _run(load_settings(data_dir), params)
    except AgoraError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    if format == "json":
        sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    elif dataset:
        _print_dataset(result)
    elif source:
        _print_source(result)
    else:
        _print_all(result)


def _run(settings: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Through the running server if there is one (it holds the store lock), else on the store."""
    from .backend import RemoteBackend, running_server

    url = running_server(settings)
    if url is not None:
        remote = RemoteBackend(url, None)
        try:
            query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
            return remote._check(remote.client.get("/api/quality", params=query)).json()
        finally:
            remote.close()
    from agora.kg import quality
    from agora.kg.store import AgoraStore

    store = AgoraStore(settings)
    try:
        if "dataset" in params:
            return quality.dataset_quality(store, params["dataset"], source=params.get("source"),
                                           compliance=params["compliance"])
        if "source" in params:
            return quality.source_quality(store, params["source"], include_datasets=params["datasets"],
                                          lowest=params["lowest"], compliance=params["compliance"])
        return quality.catalog_quality(store, compliance=params["compliance"])
    finally:
        store.close()


def _linkcheck(settings: Any, params: dict[str, Any], token: str | None) -> dict[str, Any]:
    """Through the running server if there is one (admin token), else on the store and ops database."""
    from .backend import RemoteBackend, running_server

    query = {k: v for k, v in params.items() if v is not None}
    url = running_server(settings)
    if url is not None:
        remote = RemoteBackend(url, token)
        try:
            return remote._check(remote.client.post("/api/quality/linkcheck", params=query)).json()
        finally:
            remote.close()
    from agora.kg.linkcheck import LinkCheckOptions, run_linkcheck
    from agora.kg.opsdb import OpsDB
    from agora.kg.store import AgoraStore

    options = LinkCheckOptions(concurrency=params["concurrency"], per_host_interval=params["per_host_interval"],
                               connect_timeout=min(5.0, params["timeout"]), read_timeout=params["timeout"])
    store = AgoraStore(settings)
    try:
        ops = OpsDB(settings.ops_db_path)
        summary = run_linkcheck(store, ops, source=params["source"], limit=params["limit"], options=options)
        ops.audit("cli", "linkcheck", source=params["source"],
                  detail={k: summary[k] for k in ("checked", "reachable", "refused")})
        return summary
    finally:
        store.close()


def _print_linkcheck(r: dict[str, Any]) -> None:
    out.print(f"checked {r['checked']} of {r['urls']} URLs in {r['seconds']:g} s: [bold]{r['reachable']}[/] "
              f"reachable, {r['unreachable']} not ({r['refused']} refused by the address guard); "
              f"{r['remaining']} left for a later run", highlight=False)
    if r["failures"]:
        table = Table("status", "URL", "why", title="Not reachable (first 50)")
        for f in r["failures"]:
            table.add_row(str(f["status"] or "-"), escape(f["url"]), escape(f["error"] or ""))
        out.print(table)


def _link_note(result: dict[str, Any]) -> None:
    if not result.get("link_check", {}).get("checked"):
        out.print("URL reachability: not checked (no link-check results); those indicators score 0.",
                  highlight=False)


def _print_dataset(r: dict[str, Any]) -> None:
    out.print(f"[bold]{escape(r['title'] or r['dataset'])}[/]  <{escape(r['dataset'])}>  (source {r['source']})",
              highlight=False)
    out.print(f"score {r['score']:g} / {r['max']:g}: [bold]{r['rating']}[/]", highlight=False)
    dims = Table("dimension", "score", "max")
    for name, d in r["dimensions"].items():
        dims.add_row(name, f"{d['score']:g}", f"{d['max']:g}")
    out.print(dims)
    if r["lost"]:
        table = Table("lost", "indicator", "why", "to fix", title="What to fix, biggest gain first")
        for row in r["lost"]:
            table.add_row(f"{row['lost']:g}", row["label"] + (" (not checked)" if row["not_checked"] else ""),
                          escape(row["detail"]), row["fix"])
        out.print(table)
    _link_note(r)


def _ratings(r: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in r["ratings"].items())


def _print_source(r: dict[str, Any]) -> None:
    out.print(f"source [bold]{r['source']}[/]: {r['datasets']} datasets, average {r['average']:g} / {r['max']:g} "
              f"([bold]{r['rating']}[/]); {_ratings(r)}", highlight=False)
    dims = Table("dimension", "average", "max")
    for name, d in r["dimensions"].items():
        dims.add_row(name, f"{d['average']:g}", f"{d['max']:g}")
    out.print(dims)
    ind = Table("indicator", "average", "max", "datasets with full points")
    for row in r["indicators"].values():
        ind.add_row(row["label"], f"{row['average']:g}", f"{row['max']:g}", str(row["datasets_with_full_points"]))
    out.print(ind)
    if r["catalogs"]:
        cats = Table("catalogue", "datasets", "average", "rating")
        for c in r["catalogs"]:
            cats.add_row(escape(c["catalog"]), str(c["datasets"]), f"{c['average']:g}", c["rating"])
        out.print(cats)
    if r["lowest"]:
        low = Table("score", "rating", "dataset", title="Weakest datasets (agora quality --dataset IRI says why)")
        for d in r["lowest"]:
            low.add_row(f"{d['score']:g}", d["rating"], escape(f"{d['title']} <{d['dataset']}>"))
        out.print(low)
    _link_note(r)


def _print_all(r: dict[str, Any]) -> None:
    table = Table("source", "datasets", "average", "rating", "excellent", "good", "sufficient", "bad")
    for s in r["sources"]:
        table.add_row(s["source"], str(s["datasets"]), f"{s['average']:g}", s["rating"],
                      *(str(s["ratings"][k]) for k in ("excellent", "good", "sufficient", "bad")))
    o = r["overall"]
    table.add_row("[bold]all[/]", str(o["datasets"]), f"{o['average']:g}", o["rating"],
                  *(str(o["ratings"][k]) for k in ("excellent", "good", "sufficient", "bad")))
    out.print(table)
    _link_note(r)
