"""Reading source files with errors that name the file, the line and the problem."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import yaml
from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax

from ..errors import InputError


def read_csv(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a CSV file with a header; values are stripped strings."""
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} in the header")
        for row in reader:
            if None in row:
                raise InputError(f"{path}:{reader.line_num}: more fields than the header has")
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}


def read_yaml(path: Path) -> dict:
    """Parse a YAML mapping; a syntax error names the file, line and column."""
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: YAML syntax error: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    return data


def read_turtle(path: Path, graph: Graph | None = None) -> Graph:
    """Parse a Turtle file into ``graph``; a syntax error names the file, line and problem."""
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    graph = graph if graph is not None else Graph()
    try:
        graph.parse(path, format="turtle")
    except BadSyntax as exc:
        # BadSyntax.args = (uri, lines-before, text, index, why)
        _, lines, _, _, why = exc.args
        raise InputError(f"{path}:{lines + 1}: Turtle syntax error: {why}") from None
    except Exception as exc:  # rdflib raises assorted errors for bad IRIs, literals ...
        raise InputError(f"{path}: cannot parse Turtle: {exc}") from None
    return graph
