"""The command line: one command per stage, each a thin face over a stage function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .errors import EsgkgError
from .project import Project, find_project
from .render import FORMATS, GRAPH_FORMATS, term_text

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="esgkg: ESG reports as a validated, queryable knowledge graph.")
out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store folder, or the URL of a SPARQL "
                     "1.1 query endpoint (default: $ESGKG_STORE, url in .esgkg/store.toml, or "
                     "<project>/.esgkg/store).")]
ReportOpt = Annotated[str | None, typer.Option("--report", "-r", help="Only this report's "
                      "graph (plus ontology and vocabularies), e.g. calb-2023.")]
FormatOpt = Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}; "
                      "default: table in a terminal, tsv in a pipe.")]


def _fail(exc: EsgkgError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _project() -> Project:
    return find_project()


def _store_location(store: str | None) -> Path | str:
    """--store as given (a folder or an http(s) URL), else the project's store location."""
    from .store import is_remote

    if store is None:
        return _project().store_location
    return store if is_remote(store) else Path(store)


def _open_store(store: str | None):
    """The store of --store (embedded or remote), opened; a missing one is a StoreError."""
    from .store import open_store

    try:
        root = _project().root
    except EsgkgError:
        root = None
    return open_store(_store_location(store), root)


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False):
    if version:
        out.print(f"esgkg {__version__}")
        raise typer.Exit(0)


@app.command()
def build(
    store: StoreOpt = None,
    wait: Annotated[float, typer.Option("--wait", min=0, metavar="SECONDS", help="How long to wait "
                    "for another build of the same store to finish; 0: refuse at once.")] = 600.0,
) -> None:
    """Compile ontology + vocabularies + data/ into the store (atomically, one build at a time)."""
    from .build import build as run_build
    from .build import build_remote
    from .store import is_remote
    from .store.builds import build_lock

    try:
        project = _project()
        path = _store_location(store)
        with err.status("building ...") as status:
            def say(msg: str) -> None:
                status.update(escape(msg))
                err.log(escape(msg))

            if is_remote(path):
                result = build_remote(project, _open_store(store), progress=say, wait=wait)
            else:
                with build_lock(path, wait, on_wait=say):  # held from the compile on; the load reenters it
                    result = run_build(project, path, progress=say)
    except EsgkgError as exc:
        _fail(exc)
    table = Table(title=f"built {result.total:,} triples into {result.path}")
    table.add_column("named graph")
    table.add_column("triples", justify="right")
    for graph, n in result.triples.items():
        table.add_row(graph, f"{n:,}")
    err.print(table)


@app.command()
def stats(
    store: StoreOpt = None,
    as_markdown: Annotated[bool, typer.Option("--markdown", help="Per report: instances per "
                           "class and observations per section, as Markdown.")] = False,
) -> None:
    """Triples per named graph and instances per class of the report data."""
    from .stats import instances_per_class, markdown, triples_per_graph

    try:
        kg = _open_store(store)
        if as_markdown:
            sys.stdout.write(markdown(kg))
            return
        graphs, classes = triples_per_graph(kg), instances_per_class(kg)
    except EsgkgError as exc:
        _fail(exc)
    t = Table(title="triples per named graph")
    t.add_column("graph")
    t.add_column("triples", justify="right")
    for g, n in graphs.items():
        t.add_row(g, f"{n:,}")
    t.add_row("[bold]total[/]", f"[bold]{sum(graphs.values()):,}[/]")
    out.print(t)
    c = Table(title="instances per class (report graphs)")
    c.add_column("class")
    c.add_column("instances", justify="right")
    for cls, n in classes.items():
        c.add_row(escape(term_text(_node(cls), compact=True)), f"{n:,}")
    out.print(c)


def _node(iri: str):
    import pyoxigraph as ox

    return ox.NamedNode(iri)


QUERY_TIMEOUT = 30.0  # seconds, the default of --timeout (store.execute.DEFAULT_TIMEOUT)
TABLE_ROWS = 10_000  # a table is drawn once all its rows are in: it shows this many at most

TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="SECONDS", min=0,
                       help="Stop the query after this many seconds (exit 2); 0: no limit.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", metavar="N", min=0, help="Read at most N rows "
                     "(or triples); stderr says when the result was cut.")]
OffsetOpt = Annotated[int | None, typer.Option("--offset", metavar="N", min=0, help="find and "
                      "find-figure: skip the first N rows (pages with --limit, 50 rows by default).")]
ServiceOpt = Annotated[bool, typer.Option("--allow-service", help="Let the query call other SPARQL "
                       "endpoints (SERVICE): refused by default, as it makes this machine send requests.")]
SparqlFormatOpt = Annotated[str | None, typer.Option("--format", help="SELECT: one of "
                            f"{', '.join(FORMATS)} (default: table in a terminal, tsv in a pipe); "
                            "ASK: json (default: true or false); CONSTRUCT / DESCRIBE: "
                            f"{', '.join(GRAPH_FORMATS)} (default ttl).")]


def _output_format(form: str, fmt: str | None) -> str:
    """The output format for a query form ('select', 'ask', 'graph'), checked."""
    if form == "ask":
        if fmt not in (None, "json"):
            raise EsgkgError(f"an ASK query prints true or false, or --format json (not {fmt!r})")
        return fmt or "boolean"
    if form == "graph":
        if fmt not in (None, *GRAPH_FORMATS):
            raise EsgkgError(f"a CONSTRUCT or DESCRIBE query writes RDF: --format "
                             f"{', '.join(GRAPH_FORMATS)} (not {fmt!r})")
        return fmt or "ttl"
    fmt = fmt or ("table" if sys.stdout.isatty() else "tsv")
    if fmt not in FORMATS:
        raise EsgkgError(f"unknown format {fmt!r} for a SELECT (choose from {', '.join(FORMATS)})")
    return fmt


def _print_rows(names, rows, fmt: str) -> int:
    """Write SELECT rows in ``fmt`` as they arrive (a table once all are in); return how many."""
    from .render import write_delimited, write_json

    if fmt in ("csv", "tsv"):
        return write_delimited(names, rows, sys.stdout, "," if fmt == "csv" else "\t")
    if fmt == "json":
        return write_json(names, rows, sys.stdout)
    rows = list(rows)
    t = Table(*names, caption=f"{len(rows)} row(s)")
    for r in rows:
        t.add_row(*(escape(term_text(r.get(n), compact=True)) for n in names))
    out.print(t)
    return len(rows)


def _run_select(kind: str, text: str, store: str | None, report: str | None, fmt: str | None,
                params: dict | None = None, *, timeout: float = QUERY_TIMEOUT, limit: int | None = None,
                offset: int | None = None, allow_service: bool = False) -> None:
    """Run a named query (``kind`` 'named') or a SPARQL text ('sparql') and stream its answer out.

    Exit 2 on an error (a timeout included), 130 on Ctrl-C, 141 when the reader of the output
    goes away (a closed pipe).
    """
    from .api import KnowledgeGraph
    from .render import ask_json, write_graph
    from .search import DEFAULT_LIMIT, SEARCHABLE
    from .store.execute import QueryTimeout
    from .store.guard import query_form

    form = "SELECT" if kind == "named" else query_form(text)
    paged = kind == "named" and text in SEARCHABLE  # answered from the search index, a page at a time
    if paged and limit is None:
        limit = DEFAULT_LIMIT
    as_table = fmt == "table" or (fmt is None and form == "SELECT" and sys.stdout.isatty())
    cap = min(limit, TABLE_ROWS) if as_table and limit is not None else (TABLE_ROWS if as_table else limit)
    try:
        kg = KnowledgeGraph(_open_store(store), _project())
        opts = {"report": report, "timeout": timeout or None, "limit": cap, "allow_service": allow_service}
        result = (kg.stream_named(text, params, offset=offset, **opts) if kind == "named"
                  else kg.stream_sparql(text, **opts))
        with result:
            fmt = _output_format(result.form, fmt)
            if result.form == "ask":
                answer = bool(result)
                sys.stdout.write((ask_json(answer) if fmt == "json" else str(answer).lower()) + "\n")
                n = 0
            elif result.form == "graph":
                sys.stdout.flush()
                write_graph(result, sys.stdout.buffer, fmt)
                n = -1
            else:
                n = _print_rows(result.variables, result, fmt)
        if result.truncated and paged:
            first = (offset or 0) + 1
            err.print(f"rows {first:,} to {first + n - 1:,} shown; more follow: --offset {first + n - 1} "
                      f"for the next {cap:,} (--limit N for more at once)", highlight=False)
        elif result.truncated:
            if as_table and (limit is None or limit > TABLE_ROWS):
                err.print(f"the table shows the first {TABLE_ROWS:,} rows: use --format csv, tsv or json "
                          "for all of them (or --limit)", highlight=False)
            else:
                what = f"{n:,} rows" if n >= 0 else f"{limit:,} triples"
                err.print(f"stopped after {what} (--limit {limit}): the result has more", highlight=False)
    except QueryTimeout as exc:
        _fail(EsgkgError(f"the query ran longer than {exc.seconds:g} s (--timeout)"))
    except EsgkgError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        err.print("interrupted: the query was stopped", highlight=False)
        raise typer.Exit(130) from None
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit's flush
        raise typer.Exit(141) from None


@app.command()
def sparql(
    query: Annotated[str | None, typer.Argument(help="A SPARQL query: SELECT, ASK, CONSTRUCT or "
                                                "DESCRIBE (SPARQL Update is refused).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the query from a file.")] = None,
    store: StoreOpt = None, report: ReportOpt = None, fmt: SparqlFormatOpt = None,
    timeout: TimeoutOpt = QUERY_TIMEOUT, limit: LimitOpt = None, allow_service: ServiceOpt = False,
) -> None:
    """Run a SPARQL query over the union of all graphs (or one report's), within --timeout."""
    if (query is None) == (file is None):
        _fail(EsgkgError("give a query or --file, not both and not neither"))
    if file is not None:
        if not file.is_file():
            _fail(EsgkgError(f"query file not found: {file}"))
        query = file.read_text(encoding="utf-8")
    _run_select("sparql", query, store, report, fmt, timeout=timeout, limit=limit,
                allow_service=allow_service)


@app.command()
def query(
    name: Annotated[str, typer.Argument(help="A named query (see `esgkg queries`).")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="k=v, repeatable.")] = None,
    store: StoreOpt = None, report: ReportOpt = None, fmt: FormatOpt = None,  # type: ignore[assignment]
    timeout: TimeoutOpt = QUERY_TIMEOUT, limit: LimitOpt = None, offset: OffsetOpt = None,
    allow_service: ServiceOpt = False,
) -> None:
    """Run a named query from queries/ with parameters bound safely, within --timeout.

    find and find-figure search the build's full-text index and print a page of rows (--limit,
    50 by default; --offset for the next)."""
    values = {}
    for p in param or []:
        k, sep, v = p.partition("=")
        if not sep:
            _fail(EsgkgError(f"--param {p!r} is not k=v"))
        values[k.strip()] = v.strip()
    _run_select("named", name, store, report, fmt, values, timeout=timeout, limit=limit, offset=offset,
                allow_service=allow_service)


@app.command("queries")
def list_queries() -> None:
    """List the named queries with their descriptions and parameters."""
    from .query import catalogue

    try:
        queries = catalogue(_project().queries_dir)
    except EsgkgError as exc:
        _fail(exc)
    t = Table("name", "title", "parameters")
    for q in queries.values():
        params = ", ".join(f"{p.name}: {p.type}" + (f" = {p.default}" if p.default else "")
                           for p in q.params)
        t.add_row(escape(q.name), f"{escape(q.title)}\n[dim]{escape(q.description)}[/]", escape(params))
    out.print(t)


@app.command()
def validate(
    report: Annotated[list[str] | None, typer.Option("--report", "-r", help="Only these reports.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json or turtle.")] = "text",
    severity: Annotated[str, typer.Option("--severity", help="Lowest severity shown: "
                        "violation, warning or info (infos are always counted).")] = "warning",
    store: StoreOpt = None,
) -> None:
    """SHACL validation of each report graph: exit 0 if no Violation, 1 if any, 2 if it cannot run."""
    import json
    from dataclasses import asdict

    from .validate import SEVERITIES
    from .validate import validate as run_validate

    try:
        wanted = severity.capitalize()
        if wanted not in SEVERITIES:
            raise EsgkgError(f"unknown severity {severity!r} (violation, warning or info)")
        if fmt not in ("text", "json", "turtle"):
            raise EsgkgError(f"unknown format {fmt!r} (text, json or turtle)")
        shown = SEVERITIES[: SEVERITIES.index(wanted) + 1]
        results = run_validate(_open_store(store), _project().shapes_dir, report)
    except EsgkgError as exc:
        _fail(exc)
    if fmt == "json":
        payload = [{"report": r.report, "conforms": r.conforms,
                    **{s.lower() + "s": r.count(s) for s in SEVERITIES},
                    "findings": [asdict(f) for f in r.findings if f.severity in shown]}
                   for r in results]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    elif fmt == "turtle":
        from rdflib import Graph

        merged = Graph()
        for r in results:
            merged += r.results_graph
            for prefix, ns in r.results_graph.namespaces():
                merged.bind(prefix, ns)
        sys.stdout.write(merged.serialize(format="turtle"))
    else:
        _print_validation(results, shown)
    raise typer.Exit(1 if any(r.count("Violation") for r in results) else 0)


def _print_validation(results, shown) -> None:
    from itertools import groupby

    summary = Table("report", "violations", "warnings", "infos", title="validation summary")
    for r in results:
        summary.add_row(r.report, *(str(r.count(s)) for s in ("Violation", "Warning", "Info")))
    out.print(summary)
    colour = {"Violation": "red", "Warning": "yellow", "Info": "cyan"}
    for r in results:
        findings = [f for f in r.findings if f.severity in shown]
        if not findings:
            continue
        out.print(f"\n[bold]{escape(r.report)}[/]")
        for (sev, shape), group in groupby(findings, key=lambda f: (f.severity, f.shape)):
            group = list(group)
            name = shape.rsplit("#", 1)[-1] or "(unnamed shape)"
            about = f"{group[0].shape_label}: " if group[0].shape_label else ""
            style = colour.get(sev, "white")
            out.print(f"  [{style}]{sev}[/] {escape(about)}{len(group)} ({escape(name)})",
                      highlight=False, soft_wrap=True)
            for f in group:
                pages = ", ".join(map(str, f.pages)) or "?"
                out.print(f"    - {escape(f.label)} (p. {pages}): {escape(f.message)}",
                          highlight=False, soft_wrap=True)


ExportFormatOpt = Annotated[str, typer.Option("--format", "-f", help="turtle, ntriples, trig, nquads, "
                            "jsonld, csv or csvw-metadata.")]


@app.command()
def export(
    fmt: ExportFormatOpt = "trig",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: "
                      "standard output).")] = None,
    report: ReportOpt = None,
    reconciled: Annotated[bool, typer.Option("--reconciled", help="Add each report's reconciled "
                          "data set (graph/reconciled/<report>); RDF formats only.")] = False,
    store: StoreOpt = None,
) -> None:
    """Export the graph (or one report) as RDF, JSON-LD or the observations CSV; same store, same bytes."""
    from .export import csvw, jsonld
    from .export.formats import export as run_export

    try:
        kg = _open_store(store)
        if fmt in ("csv", "csvw-metadata") and (report or reconciled):
            raise EsgkgError("the observations CSV covers every report; --report/--reconciled are for RDF")
        if fmt == "jsonld" and reconciled:
            raise EsgkgError("--reconciled is for the RDF formats")
        sink = output.open("wb") if output else sys.stdout.buffer
        try:
            if fmt == "jsonld":
                jsonld.write_jsonld(kg, sink, report=report)
            elif fmt == "csv":
                csvw.write_csv(kg, sink)
            elif fmt == "csvw-metadata":
                csvw.write_metadata(kg, sink, "observations.csv")
            else:
                run_export(kg, fmt, sink, report=report, reconciled=reconciled)
        finally:
            if output:
                sink.close()
    except EsgkgError as exc:
        _fail(exc)


@app.command()
def release(
    version: Annotated[str, typer.Argument(help="Release version, e.g. 0.1.0.")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="New folder to write "
                       "(default: releases/<version> in the project).")] = None,
    issued: Annotated[str | None, typer.Option("--date", help="Issue date (YYYY-MM-DD) for the "
                      "description; default: none (no clock is read).")] = None,
    store: StoreOpt = None,
) -> None:
    """Write a versioned release: every format, description, validation report, SHA256SUMS."""
    from datetime import date

    from .export.release import release as run_release

    try:
        project = _project()
        when = None
        if issued:
            try:
                when = date.fromisoformat(issued)
            except ValueError:
                raise EsgkgError(f"--date {issued!r} is not a date (YYYY-MM-DD)") from None
        target = out_dir or project.root / "releases" / version
        with err.status("releasing ...") as status:
            files = run_release(_open_store(store), target, version, project.shapes_dir,
                                issued=when, progress=lambda msg: status.update(escape(msg)))
    except EsgkgError as exc:
        _fail(exc)
    t = Table(title=f"release {version} in {target}")
    t.add_column("file")
    t.add_column("bytes", justify="right")
    for f in files:
        t.add_row(f.name, f"{f.stat().st_size:,}")
    err.print(t)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The older release folder.")],
    new: Annotated[Path, typer.Argument(help="The newer release folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """What changed between two releases: observations added, removed, changed."""
    from .export.diff import diff as run_diff
    from .export.diff import to_json, to_text

    try:
        result = run_diff(old, new)
    except EsgkgError as exc:
        _fail(exc)
    sys.stdout.write(to_json(result) if as_json else to_text(result))


@app.command()
def check(
    reasoner: Annotated[bool, typer.Option(help="Also run the OWL reasoner (needs Java).")] = True,
) -> None:
    """Ontology checks: hygiene queries (ontology/qc) and HermiT consistency of the ontology, then
    of the ontology with the data (without its xsd:gYear / xsd:date values, which HermiT lacks)."""
    import time

    from .build import compile_dataset
    from .checks import hygiene, reason, reason_over_data

    try:
        project = _project()
        dataset = compile_dataset(project)
        findings = hygiene(project, dataset)
        for f in findings:
            out.print(f"[red]{escape(f.check)}[/]: {escape(f.message)}", highlight=False)
        out.print(f"hygiene: {len(findings)} problem(s) from {len(list(project.qc_dir.glob('*.rq')))} "
                  "queries and the scan of shapes/ and queries/")
        failed = bool(findings)
        if reasoner:
            result = reason(project.ontology)
            if not result.consistent:
                out.print(f"[red]reasoner:[/] the ontology is {escape(result.message)}")
                failed = True
            elif result.unsatisfiable:
                names = escape(", ".join(result.unsatisfiable))
                out.print(f"[red]reasoner:[/] unsatisfiable classes: {names}")
                failed = True
            else:
                out.print("reasoner (HermiT): consistent, no unsatisfiable classes")
            started = time.monotonic()
            data_result, copy = reason_over_data(project, dataset)
            took = time.monotonic() - started
            left = ", ".join(f"{n} {dt.rsplit('#', 1)[-1]}" for dt, n in sorted(copy.left_out.items()))
            if not data_result.consistent:
                out.print(f"[red]reasoner over the data:[/] {escape(data_result.message)}", highlight=False)
                failed = True
            elif data_result.unsatisfiable:
                names = escape(", ".join(data_result.unsatisfiable))
                out.print(f"[red]reasoner over the data:[/] unsatisfiable classes: {names}")
                failed = True
            else:
                out.print(f"reasoner (HermiT) over the ontology and the data ({len(copy.graph):,} triples; "
                          f"values left out as outside the OWL 2 datatype map: {left or 'none'}): "
                          f"consistent, in {took:.1f} s")
    except EsgkgError as exc:
        _fail(exc)
    raise typer.Exit(1 if failed else 0)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default; "
                    "0.0.0.0 exposes the endpoint to the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    store: StoreOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS", min=0.001,
                       help="Time limit of every query.")] = 10.0,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Most rows (or triples) a "
                        "response may hold; a larger result is refused with an error.")] = 10_000,
    allow_service: Annotated[bool, typer.Option("--allow-service", help="Let queries call other "
                             "endpoints with SERVICE (refused by default: the server would fetch "
                             "URLs).")] = False,
) -> None:
    """Serve the SPARQL 1.1 endpoint, linked-data pages and a query page (read-only by default).

    SPARQL Update is refused unless $ESGKG_UPDATE_TOKEN is set; then an update must carry
    `Authorization: Bearer <token>`.
    """
    from .serve import ServerConfig
    from .serve import serve as run_server

    try:
        project = _project()
        config = ServerConfig.from_env(store=_store_location(store), project_root=project.root,
                                       timeout=timeout, max_rows=max_rows, allow_service=allow_service)
        from .serve.app import create_app

        web = create_app(config)  # opens the store: a missing or broken one fails here, before listening
    except EsgkgError as exc:
        _fail(exc)
    out.print(f"esgkg serving {config.store} at http://{host}:{port}/ (SPARQL endpoint: "
              f"http://{host}:{port}/sparql); Ctrl-C stops it", highlight=False, soft_wrap=True)
    try:
        run_server(config, host=host, port=port, app=web)
    except OSError as exc:
        _fail(EsgkgError(f"cannot listen on {host}:{port}: {exc}"))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


if __name__ == "__main__":  # pragma: no cover
    app()
