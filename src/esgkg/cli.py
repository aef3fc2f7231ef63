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
from .render import FORMATS, render_delimited, render_json, term_text

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="esgkg: ESG reports as a validated, queryable knowledge graph.")
out = Console()
err = Console(stderr=True)

StoreOpt = Annotated[Path | None, typer.Option("--store", help="Store folder (default: "
                     "$ESGKG_STORE or <project>/.esgkg/store).")]
ReportOpt = Annotated[str | None, typer.Option("--report", "-r", help="Only this report's "
                      "graph (plus ontology and vocabularies), e.g. calb-2023.")]
FormatOpt = Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}; "
                      "default: table in a terminal, tsv in a pipe.")]


def _fail(exc: EsgkgError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _project() -> Project:
    return find_project()


def _store_path(store: Path | None) -> Path:
    return store if store is not None else _project().default_store


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False):
    if version:
        out.print(f"esgkg {__version__}")
        raise typer.Exit(0)


@app.command()
def build(store: StoreOpt = None) -> None:
    """Compile ontology + vocabularies + data/ into the store (atomically)."""
    from .build import build as run_build

    try:
        project = _project()
        with err.status("building ...") as status:
            result = run_build(project, _store_path(store),
                               progress=lambda msg: (status.update(escape(msg)), err.log(escape(msg))))
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
    from .store import EmbeddedStore

    try:
        kg = EmbeddedStore(_store_path(store))
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


def _print_rows(names, rows, fmt: str | None) -> None:
    fmt = fmt or ("table" if sys.stdout.isatty() else "tsv")
    if fmt not in FORMATS:
        raise EsgkgError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt == "csv":
        sys.stdout.write(render_delimited(names, rows, ","))
    elif fmt == "tsv":
        sys.stdout.write(render_delimited(names, rows, "\t"))
    elif fmt == "json":
        sys.stdout.write(render_json(names, rows) + "\n")
    else:
        t = Table(*names, caption=f"{len(rows)} row(s)")
        for r in rows:
            t.add_row(*(escape(term_text(r.get(n), compact=True)) for n in names))
        out.print(t)


def _run_select(name_or_sparql: str, store: Path | None, report: str | None, fmt: str | None,
                params: dict | None = None) -> None:
    from .api import KnowledgeGraph
    from .store import EmbeddedStore

    try:
        kg = KnowledgeGraph(EmbeddedStore(_store_path(store)), _project())
        result = kg.query(name_or_sparql, params, report=report)
        _print_rows(result.columns, result.terms, fmt)
    except EsgkgError as exc:
        _fail(exc)


@app.command()
def sparql(
    query: Annotated[str | None, typer.Argument(help="A SPARQL SELECT query.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the query from a file.")] = None,
    store: StoreOpt = None, report: ReportOpt = None, fmt: FormatOpt = None,  # type: ignore[assignment]
) -> None:
    """Run a SPARQL SELECT over the union of all graphs (or one report's)."""
    if (query is None) == (file is None):
        _fail(EsgkgError("give a query or --file, not both and not neither"))
    if file is not None:
        if not file.is_file():
            _fail(EsgkgError(f"query file not found: {file}"))
        query = file.read_text(encoding="utf-8")
    _run_select(query, store, report, fmt)


@app.command()
def query(
    name: Annotated[str, typer.Argument(help="A named query (see `esgkg queries`).")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="k=v, repeatable.")] = None,
    store: StoreOpt = None, report: ReportOpt = None, fmt: FormatOpt = None,  # type: ignore[assignment]
) -> None:
    """Run a named query from queries/ with parameters bound safely."""
    values = {}
    for p in param or []:
        k, sep, v = p.partition("=")
        if not sep:
            _fail(EsgkgError(f"--param {p!r} is not k=v"))
        values[k.strip()] = v.strip()
    _run_select(name, store, report, fmt, values)


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

    from .store import EmbeddedStore
    from .validate import SEVERITIES
    from .validate import validate as run_validate

    try:
        wanted = severity.capitalize()
        if wanted not in SEVERITIES:
            raise EsgkgError(f"unknown severity {severity!r} (violation, warning or info)")
        if fmt not in ("text", "json", "turtle"):
            raise EsgkgError(f"unknown format {fmt!r} (text, json or turtle)")
        shown = SEVERITIES[: SEVERITIES.index(wanted) + 1]
        results = run_validate(EmbeddedStore(_store_path(store)), _project().shapes_dir, report)
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


@app.command()
def check(
    reasoner: Annotated[bool, typer.Option(help="Also run the OWL reasoner (needs Java).")] = True,
) -> None:
    """Ontology checks: hygiene queries (ontology/qc) and HermiT consistency."""
    from .build import compile_dataset
    from .checks import hygiene, reason

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
    except EsgkgError as exc:
        _fail(exc)
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":  # pragma: no cover
    app()
