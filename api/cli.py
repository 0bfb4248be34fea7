"""The `agora` command line (typer + rich).

Exit codes: 0 success, 1 validation violations, 2 bad input or usage, 3 runtime error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from agora.kg.config import Settings, load_settings
from agora.kg.errors import AgoraError, ValidationFailed

app = typer.Typer(
    name="agora", no_args_is_help=True, add_completion=False, rich_markup_mode="markdown",
    help="Agora: a semantic catalog for smart-community data spaces.\n\n"
         "Exit codes: 0 success, 1 validation violations, 2 bad input or usage, 3 runtime error.")
token_app = typer.Typer(help="Create, list, rotate and revoke API tokens (stored hashed).", no_args_is_help=True)
app.add_typer(token_app, name="token")

from .cli_harvest import harvest_app, source_app  # noqa: E402
from .cli_policy import policy_app  # noqa: E402
from .cli_profiles import profile_app  # noqa: E402
from .cli_quality import quality_command  # noqa: E402
from .cli_search import search_app  # noqa: E402

app.add_typer(policy_app, name="policy")
app.add_typer(source_app, name="source")
app.add_typer(profile_app, name="profile")
app.command("quality")(quality_command)
for _command in [*search_app.registered_commands, *harvest_app.registered_commands]:  # top-level commands
    app.registered_commands.append(_command)

T = TypeVar("T")
out = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", "-d", envvar="AGORA_DATA_DIR",
                                               help="Data directory (default ./agora-data).")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="AGORA_TOKEN",
                                               help="Bearer token for writes through a running server.")]


def _settings(data_dir: Path | None, **flags: object) -> Settings:
    return load_settings(data_dir, **flags)


def _fail(exc: AgoraError) -> None:
    if isinstance(exc, ValidationFailed) and exc.report is not None:
        from agora.kg.report_formats import report_text

        err.print(report_text(exc.report), markup=False, highlight=False, end="")
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    raise typer.Exit(exc.exit_code)


def _on_backend(data_dir: Path | None, token: str | None, work: Callable[[Any], T]) -> T:
    """Run `work` on the store or on the server holding it; closes the backend, maps errors to exit codes."""
    from .backend import open_backend

    try:
        backend = open_backend(_settings(data_dir), token)
    except AgoraError as exc:
        _fail(exc)
        raise  # unreachable: _fail exits
    try:
        return work(backend)
    except AgoraError as exc:
        _fail(exc)
        raise
    finally:
        backend.close()


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
                    TextColumn("{task.completed:,} triples"), TimeElapsedColumn(), console=err,
                    transient=True, disable=not err.is_terminal)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    data_dir: DataDir = None,
    demo: Annotated[bool | None, typer.Option("--demo/--no-demo", help="Load the demo catalog (default: only "
                                                                       "into an empty embedded store).")] = None,
    read_only: Annotated[bool | None, typer.Option("--read-only", help="Refuse every write.")] = None,
    store: Annotated[str | None, typer.Option("--store", help="Remote SPARQL 1.1 store: sparql+http://host:port/"
                                                               "sparql[?gsp=/graph-store-path] (credentials from "
                                                               "AGORA_STORE_USER / AGORA_STORE_PASSWORD).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="API processes (more than one needs a remote "
                                                                   "--store: the embedded store has one owner).")] = 1,
) -> None:
    """Run the Agora server (HTTP API, SPARQL, pages) on the embedded store or a remote one.

    Examples: `agora serve --port 8000 --data-dir ./agora-data`;
    `agora serve --store sparql+http://127.0.0.1:8890/sparql?gsp=/sparql-graph-crud --workers 4`
    """
    import logging

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    flags = {"host": host, "port": port, "demo": demo, "read_only": read_only, "store": store}
    try:
        settings = _settings(data_dir, **flags)
        if workers > 1 and not settings.store:
            raise AgoraError("the embedded store is owned by one process: --workers needs a remote --store "
                             "(or run one process)")
        application = None if workers > 1 else _served_app(settings)
    except AgoraError as exc:
        _fail(exc)
        return
    record = settings.server_file
    url = f"http://{settings.host}:{settings.port}"
    record.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    where = settings.store or settings.data_dir
    err.print(f"Agora serving {where} at {url}" + (f" with {workers} workers" if workers > 1 else ""),
              highlight=False)
    try:
        if application is None:
            os.environ[SERVE_ENV] = json.dumps({"data_dir": str(settings.data_dir), **flags})
            uvicorn.run("agora.api.cli:worker_app", factory=True, workers=workers, host=settings.host,
                        port=settings.port, log_level="info")
        else:
            uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")
    finally:
        try:
            if json.loads(record.read_text()).get("pid") == os.getpid():
                record.unlink()
        except (OSError, ValueError):
            pass


SERVE_ENV = "AGORA_SERVE_FLAGS"


def _served_app(settings: Settings) -> Any:
    from agora.kg.executor import make_executor

    from .app import create_app

    application = create_app(settings)
    # A served instance starts its query workers at once, warm (tests build apps that never query).
    application.state.executor = make_executor(application.state.store)
    application.state.executor.warm_up()
    return application


def worker_app() -> Any:
    """The app of one of several `agora serve --workers N` processes (uvicorn imports this)."""
    flags = json.loads(os.environ[SERVE_ENV])
    return _served_app(_settings(Path(flags.pop("data_dir")), **flags))


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="RDF files (Turtle, N-Triples, N-Quads, TriG, RDF/XML, "
                                                     "JSON-LD; .gz too).")],
    graph: Annotated[str | None, typer.Option("--graph", "-g", help="Source name (default: file name).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing source atomically.")] = False,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Input syntax (default: from the "
                                                                       "file extension).")] = None,
    shapes: Annotated[list[Path] | None, typer.Option("--shapes", help="SHACL shapes to validate against "
                                                                        "instead of the Agora profile.")] = None,
    no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip validation (recorded).")] = False,
    data_dir: DataDir = None,
    token: TokenOpt = None,
) -> None:
    """Load RDF files as one source (its own named graph), validated, all or nothing.

    Example: `agora load data/copenhagen.ttl --graph copenhagen`
    """
    def work(backend: Any) -> dict[str, Any]:
        with _progress() as progress:
            task = progress.add_task(f"loading {files[0].name}", total=None)

            def report(n: int) -> None:
                progress.update(task, completed=n)
                if not err.is_terminal:  # logs and pipes get a line per batch instead of a bar
                    err.print(f"agora: loading {files[0].name}: {n:,} triples parsed", highlight=False)

            return backend.load(files, name=graph, replace=replace, fmt=format, shapes=shapes or [],
                                validate=not no_validate, progress=report)

    result = _on_backend(data_dir, token, work)
    src = result["source"]
    verb = "replaced" if result.get("replaced_version") else "loaded"
    out.print(f"{verb} source [bold]{src['name']}[/] <{src['graph']}>: {result['triples']:,} triples, "
              f"validation: {src['validation']}" + (f" ({src['warnings']} warnings)" if src["warnings"] else ""),
              highlight=False)


@app.command()
def delete(
    graph: Annotated[str, typer.Option("--graph", "-g", help="Source name or graph IRI.")],
    data_dir: DataDir = None,
    token: TokenOpt = None,
) -> None:
    """Delete a source: its graph, its history and its metadata.

    Example: `agora delete --graph copenhagen`
    """
    result = _on_backend(data_dir, token, lambda b: b.delete(graph))
    out.print(f"deleted source [bold]{result['deleted']}[/] <{result['graph']}>", highlight=False)


@app.command()
def sources(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List sources with graph IRI, triple count, when and by whom loaded, and validation status.

    Example: `agora sources --json`
    """
    rows = _on_backend(data_dir, None, lambda b: b.sources())
    if as_json:
        out.print_json(data=rows)
        return
    table = Table("name", "graph", "triples", "loaded", "by", "validation", "version", "last harvest")
    for r in rows:
        run = (r.get("harvest") or {}).get("last_run") or {}
        harvest = (f"{run['started_at']} {run['status']}, {run['records']:,} records, {run['rejected']} rejected"
                   if run else "")
        table.add_row(r["name"] + (" (system)" if r["system"] else ""), r["graph"], f"{r['triples']:,}",
                      r["loaded_at"], r["loaded_by"], r["validation"], str(r["version"]), harvest)
    out.print(table)


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, or @file.rq to read it from a file.")],
    format: Annotated[str, typer.Option("--format", "-f", help="json, xml, csv, tsv for SELECT/ASK; turtle, "
                                                               "ntriples, jsonld, rdfxml for CONSTRUCT.")] = "json",
    data_dir: DataDir = None,
) -> None:
    """Run a SPARQL query over the union of the sources.

    Example: `agora query 'SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> } LIMIT 5' --format csv`
    """
    text = sparql
    if sparql.startswith("@"):
        path = Path(sparql[1:])
        if not path.is_file():
            err.print(f"[bold red]error:[/] {path}: no such file")
            raise typer.Exit(2)
        text = path.read_text()
    def work(backend: Any) -> None:
        _kind, chunks = backend.query(text, format)
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()

    _on_backend(data_dir, None, work)


@app.command()
def export(
    graph: Annotated[str | None, typer.Option("--graph", "-g", help="Source name or graph IRI (default: all "
                                                                      "sources, as TriG).")] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="Output syntax (turtle, ntriples, "
                                                                       "nquads, trig, rdfxml, jsonld).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write a source exactly as it was loaded (same datatypes, lexical forms, language tags).

    Example: `agora export --graph copenhagen --format turtle > copenhagen.ttl`
    """
    fmt = format or ("turtle" if graph else "trig")
    data = _on_backend(data_dir, None, lambda b: b.export(graph, fmt))
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


@app.command()
def validate(
    files: Annotated[list[Path] | None, typer.Argument(help="RDF files to validate.")] = None,
    shapes: Annotated[list[Path] | None, typer.Option("--shapes", help="SHACL shapes files.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="Built-in profile (agora, dcat-ap@3.0.1).")] = None,
    background: Annotated[bool | None, typer.Option("--background/--no-background",
                                                    help="Use shipped vocabularies as background.")] = None,
    focus: Annotated[list[str] | None, typer.Option("--focus", help="Only validate these focus node IRIs.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Report format: text, turtle, jsonld, json, "
                                                               "junit, html.")] = "text",
    input_format: Annotated[str | None, typer.Option("--input-format", help="Input syntax of the files.")] = None,
    graph: Annotated[str | None, typer.Option("--graph", "-g", help="Validate a stored source.")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Validate every stored source.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Validate RDF files (or stored sources) against SHACL shapes; exit 1 when there are violations.

    Example: `agora validate my-catalog.ttl --format junit > report.xml`; `agora validate --graph amsterdam`
    """
    if graph is not None or all_sources:
        _validate_stored(graph, all_sources, profile, focus, format, data_dir)
        return

    from agora.kg.errors import BadInput
    from agora.kg.rdfio import RDFInput
    from agora.kg.report_formats import REPORT_FORMATS, render_report
    from agora.kg.validation import validate_documents

    try:
        if format not in REPORT_FORMATS:
            raise BadInput(f"unknown report format {format!r}; use one of {', '.join(REPORT_FORMATS)}")
        if not files:
            raise BadInput("name at least one FILE to validate")
        docs = [RDFInput.from_path(f, input_format) for f in files]
        settings = _settings(data_dir)
        report = validate_documents(docs, profile=profile, shapes=shapes, background=background,
                                    focus_nodes=_focus_nodes(focus),
                                    data_dir=settings.data_dir)
    except AgoraError as exc:
        _fail(exc)
        return
    rendered = render_report(report, format)
    sys.stdout.buffer.write(rendered.encode() if isinstance(rendered, str) else rendered)
    sys.stdout.flush()
    if report.violations:
        raise typer.Exit(1)


@app.command()
def rollback(
    name: Annotated[str, typer.Argument(help="Source name or graph IRI.")],
    data_dir: DataDir = None,
    token: TokenOpt = None,
) -> None:
    """Make the previous version of a source current again (the undone version is kept).

    Example: `agora rollback amsterdam`
    """
    info = _on_backend(data_dir, token, lambda b: b.rollback(name))
    out.print(f"source [bold]{info['name']}[/] is back at version {info['version']} ({info['triples']:,} triples)",
              highlight=False)


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="A new, empty directory for the backup.")],
    data_dir: DataDir = None,
    token: TokenOpt = None,
) -> None:
    """Write a consistent backup (store, tokens, audit log, registered shapes), also while the server runs.

    Example: `agora backup /backups/agora-2026-11-25`
    """
    manifest = _on_backend(data_dir, token, lambda b: b.backup(target))
    out.print(f"backup of {len(manifest['sources'])} sources written to {target}", highlight=False)


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A directory written by `agora backup`.")],
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into the data directory (stop the server first; the replaced data is kept aside).

    Example: `agora restore /backups/agora-2026-11-25 --data-dir ./agora-data`
    """
    from agora.kg.backup import restore as do_restore

    from .backend import running_server

    try:
        settings = _settings(data_dir)
        if running_server(settings):
            from agora.kg.errors import StoreUnavailable

            raise StoreUnavailable("a server is running on this data directory; stop it before restoring")
        manifest = do_restore(source, settings)
    except AgoraError as exc:
        _fail(exc)
        return
    out.print(f"restored {len(manifest['sources'])} sources from {source}; the replaced data is in "
              f"{manifest['replaced_kept_in']}", highlight=False)


def _focus_nodes(focus: list[str] | None) -> list[Any] | None:
    """--focus values as IRIs, or a usage error naming the one that is not an IRI."""
    import pyoxigraph as ox

    if not focus:
        return None
    try:
        return [ox.NamedNode(f) for f in focus]
    except ValueError as exc:
        err.print(f"[bold red]error:[/] --focus needs IRIs: {exc}", highlight=False)
        raise typer.Exit(2) from None


def _validate_stored(graph: str | None, all_sources: bool, profile: str | None, focus: list[str] | None,
                     fmt: str, data_dir: Path | None) -> None:
    import httpx

    from agora.kg.report_formats import render_report, report_json
    from agora.kg.validation import validate_stored

    from .backend import LocalBackend, running_server

    try:
        settings = _settings(data_dir)
        url = running_server(settings)
        if url is not None:
            params: list[tuple[str, str]] = [("all", "")] if all_sources else [("graph", graph or "")]
            params += [("profile", profile)] if profile else []
            params += [("focus", f) for f in focus or []]
            summary = httpx.post(f"{url}/validate", params=[*params, ("format", "json")], timeout=600)
            if summary.status_code >= 400:
                raise AgoraError(summary.json().get("message", summary.text))
            body = httpx.post(f"{url}/validate", params=[*params, ("format", fmt)], timeout=600).content
            violations = summary.json()["counts"]["violations"]
        else:
            backend = LocalBackend(settings)
            report = validate_stored(backend.store, None if all_sources else graph, profile=profile,
                                     focus_nodes=_focus_nodes(focus))
            rendered = render_report(report, fmt)
            body = rendered.encode() if isinstance(rendered, str) else rendered
            violations = report_json(report)["counts"]["violations"]
            backend.close()
    except AgoraError as exc:
        _fail(exc)
        return
    sys.stdout.buffer.write(body)
    sys.stdout.flush()
    if violations:
        raise typer.Exit(1)


@token_app.command("create")
def token_create(
    scope: Annotated[str, typer.Option("--scope", help="read, write or admin.")],
    name: Annotated[str, typer.Option("--name", help="A label for the token's holder.")] = "",
    expires: Annotated[str | None, typer.Option("--expires", help="Expiry, ISO date/time (UTC) or e.g. 30d.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a token and print it once (only its hash is stored).

    Example: `agora token create --scope write --name amsterdam-curator --expires 90d`
    """
    from agora.kg.opsdb import OpsDB

    try:
        settings = _settings(data_dir)
        token, secret = OpsDB(settings.ops_db_path).create_token(scope, name=name, expires_at=_expiry(expires))
    except AgoraError as exc:
        _fail(exc)
        return
    err.print(f"token {token.id} ({token.scope}) created; it is shown once:", highlight=False)
    print(secret)


def _expiry(value: str | None) -> str | None:
    from datetime import UTC, datetime, timedelta

    from agora.kg.errors import BadInput

    if not value:
        return None
    if value[-1] in "dh" and value[:-1].isdigit():
        delta = timedelta(days=int(value[:-1])) if value[-1] == "d" else timedelta(hours=int(value[:-1]))
        return (datetime.now(UTC) + delta).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadInput(f"--expires {value!r}: use an ISO date/time or a duration like 30d or 12h") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@token_app.command("list")
def token_list(data_dir: DataDir = None) -> None:
    """List tokens (never their secrets)."""
    from agora.kg.opsdb import OpsDB

    settings = _settings(data_dir)
    table = Table("id", "name", "scope", "created", "expires", "state", "last used")
    for t in OpsDB(settings.ops_db_path).tokens():
        state = "revoked" if t.revoked_at else ("active" if t.active else "expired")
        table.add_row(t.id, t.name, t.scope, t.created_at, t.expires_at or "-", state, t.last_used_at or "-")
    out.print(table)


@token_app.command("rotate")
def token_rotate(token_id: Annotated[str, typer.Argument(help="Token id (see `agora token list`).")],
                 data_dir: DataDir = None) -> None:
    """Give a token a new secret; the old secret stops working at once."""
    from agora.kg.opsdb import OpsDB

    try:
        token, secret = OpsDB(_settings(data_dir).ops_db_path).rotate(token_id)
    except AgoraError as exc:
        _fail(exc)
        return
    err.print(f"token {token.id} rotated; the new secret is shown once:", highlight=False)
    print(secret)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="Token id (see `agora token list`).")],
                 data_dir: DataDir = None) -> None:
    """Revoke a token."""
    from agora.kg.opsdb import OpsDB

    try:
        OpsDB(_settings(data_dir).ops_db_path).revoke(token_id)
    except AgoraError as exc:
        _fail(exc)
        return
    out.print(f"token {token_id} revoked")


def main() -> None:
    try:
        app()
    except AgoraError as exc:  # raised outside a command's own handling
        err.print(f"[bold red]error:[/] {exc.message}")
        sys.exit(exc.exit_code)
    except OSError as exc:  # the data directory failed under the command: disk full, not writable
        from agora.kg.errors import io_failure

        failure = io_failure(exc, "the command")
        err.print(f"[bold red]error:[/] {failure.message}", highlight=False)
        sys.exit(failure.exit_code)


if __name__ == "__main__":
    main()
