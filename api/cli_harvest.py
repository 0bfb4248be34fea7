"""`agora source ...`, `agora harvest NAME` and `agora changes`: harvesting from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

source_app = typer.Typer(help="Register, list and remove harvest sources (DCAT, CKAN, SPARQL, other Agoras).",
                         no_args_is_help=True)
harvest_app = typer.Typer()
out = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", "-d", envvar="AGORA_DATA_DIR",
                                               help="Data directory (default ./agora-data).")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="AGORA_TOKEN",
                                               help="Bearer token when a server holds the data directory.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _on_backend(data_dir: Path | None, token: str | None, work: Any) -> Any:
    from .cli import _on_backend as run

    return run(data_dir, token, work)


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(help="Source name; the harvested records become source NAME.")],
    url: Annotated[str, typer.Argument(help="Catalog URL, CKAN portal, SPARQL endpoint or Agora base URL.")],
    kind: Annotated[str, typer.Option("--kind", help="dcat, ckan, sparql or agora.")],
    schedule: Annotated[str | None, typer.Option("--schedule", help="Cron expression (UTC), e.g. '0 3 * * *'; "
                                                                    "the server runs it.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Validation profile for its records.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="CONSTRUCT query (or @file.rq) for --kind sparql.")]
    = None,
    max_pages: Annotated[int | None, typer.Option("--max-pages", help="Stop (and fail) after this many pages.")]
    = None,
    page_size: Annotated[int | None, typer.Option("--page-size", help="Rows per CKAN package_search page.")] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Accept a harvest that finds no datasets.")]
    = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing registration.")] = False,
    data_dir: DataDir = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Register a harvest source (needs an admin token through a running server).

    Example: `agora source add tartu https://andmed.tartu.ee/catalog --kind dcat --schedule '0 3 * * *'`
    """
    options: dict[str, Any] = {}
    if query:
        if query.startswith("@"):
            path = Path(query[1:])
            if not path.is_file():
                err.print(f"[bold red]error:[/] {path}: no such file")
                raise typer.Exit(2)
            query = path.read_text()
        options["query"] = query
    if max_pages:
        options["max_pages"] = max_pages
    if page_size:
        options["page_size"] = page_size
    if allow_empty:
        options["allow_empty"] = True
    spec = {"name": name, "url": url, "kind": kind, "schedule": schedule, "profile": profile, "options": options,
            "replace": replace}
    row = _on_backend(data_dir, token, lambda b: b.add_harvest_source(spec))
    if as_json:
        out.print_json(data=row)
        return
    when = f", next run {row['next_run']}" if row.get("next_run") else ""
    out.print(f"registered [bold]{row['name']}[/]: {row['kind']} {row['url']}{when}", highlight=False)


@source_app.command("list")
def source_list(data_dir: DataDir = None, as_json: JsonOpt = False) -> None:
    """List harvest sources with their schedule and last run."""
    rows = _on_backend(data_dir, None, lambda b: b.harvest_sources())
    if as_json:
        out.print_json(data=rows)
        return
    table = Table("name", "kind", "url", "schedule", "last run", "records", "rejected", "next run")
    for r in rows:
        last = r.get("last_run") or {}
        table.add_row(r["name"], r["kind"], r["url"], r.get("schedule") or "",
                      f"{last.get('started_at', '')} {last.get('status', '')}".strip(),
                      str(last.get("records", "")), str(last.get("rejected", "")), r.get("next_run") or "")
    out.print(table)


@source_app.command("show")
def source_show(name: str, data_dir: DataDir = None, as_json: JsonOpt = False) -> None:
    """One harvest source with its recent runs (PROV-O provenance is in the store's metadata)."""
    row = _on_backend(data_dir, None, lambda b: b.harvest_source(name))
    if as_json:
        out.print_json(data=row)
        return
    out.print(f"[bold]{row['name']}[/] {row['kind']} {row['url']}", highlight=False)
    table = Table("run", "started", "ended", "status", "version", "pages", "records", "rejected", "added", "changed",
                  "removed", "error")
    for r in row["runs"]:
        table.add_row(r["id"], r["started_at"], r.get("ended_at") or "", r["status"], str(r.get("version") or ""),
                      str(r["pages"]), str(r["records"]), str(r["rejected"]), str(r["added"]), str(r["changed"]),
                      str(r["removed"]), r.get("error") or "")
    out.print(table)


@source_app.command("remove")
def source_remove(name: str, data_dir: DataDir = None, token: TokenOpt = None) -> None:
    """Unregister a harvest source; what it harvested stays until `agora delete --graph NAME`."""
    _on_backend(data_dir, token, lambda b: b.remove_harvest_source(name))
    out.print(f"removed harvest source {name}")


@source_app.command("quarantine")
def source_quarantine(name: str, data_dir: DataDir = None, as_json: JsonOpt = False) -> None:
    """Records the last harvest of NAME rejected, with why."""
    rows = _on_backend(data_dir, None, lambda b: b.quarantine(name))
    if as_json:
        out.print_json(data=rows)
        return
    if not rows:
        out.print(f"no quarantined records in {name}")
    for r in rows:
        out.print(f"[bold]{r['record']}[/]: {r['violations']} violation(s)", highlight=False)
        for res in r["results"][:5]:
            out.print(f"  - {res.get('path') or ''} {res.get('message')}", highlight=False, markup=False)


@harvest_app.command("harvest")
def harvest_command(
    name: Annotated[str, typer.Argument(help="A registered harvest source (see `agora source list`).")],
    data_dir: DataDir = None, token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Harvest NAME now: valid records replace the source atomically, invalid ones go to quarantine.

    Example: `agora harvest tartu`
    """
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[pages]} pages"),
                        TextColumn("{task.fields[records]:,} records"), TimeElapsedColumn(), console=err,
                        transient=True, disable=not err.is_terminal)
    with progress:
        task = progress.add_task(f"harvesting {name}", total=None, pages=0, records=0)

        def show(run: dict[str, Any]) -> None:
            progress.update(task, pages=run.get("pages", 0), records=run.get("records", 0))

        run = _on_backend(data_dir, token, lambda b: b.harvest(name, show))
    if as_json:
        out.print_json(data=run)
    if run["status"] != "ok":
        err.print(f"[bold red]error:[/] harvest of {name} failed: {run.get('error')}", highlight=False)
        raise typer.Exit(3)
    if not as_json:
        out.print(f"harvested [bold]{name}[/] (version {run['version']}): {run['records']:,} records in "
                  f"{run['pages']} page(s), {run['rejected']} rejected; {run['added']} added, {run['changed']} "
                  f"changed, {run['removed']} removed", highlight=False)
        for reason, n in list(run.get("reasons", {}).items())[:5]:
            out.print(f"  rejected {n}x: {reason}", highlight=False, markup=False)


@harvest_app.command("changes")
def changes_command(
    since: Annotated[str | None, typer.Option("--since", help="Sequence number or ISO date/time.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    source: Annotated[str | None, typer.Option("--source")] = None,
    data_dir: DataDir = None, as_json: JsonOpt = False,
) -> None:
    """The change feed: records added, changed and removed (same as GET /changes)."""
    page = _on_backend(data_dir, None, lambda b: b.changes(since, limit, source))
    if as_json:
        out.print_json(data=page)
        return
    table = Table("seq", "at", "source", "change", "record")
    for c in page["changes"]:
        table.add_row(str(c["seq"]), c["at"], c["source"], c["change"], c["record"])
    out.print(table)
    out.print(f"next: --since {page['next']}")
