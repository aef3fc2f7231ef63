"""Errors that name the problem; the CLI turns them into a message and an exit code."""

from __future__ import annotations


class EsgkgError(Exception):
    """Base of every error esgkg reports to a user."""

    exit_code = 2


class InputError(EsgkgError):
    """Bad input: a missing file, malformed RDF/CSV/YAML/SPARQL, an unknown code or unit."""


class DataErrors(InputError):
    """Several problems found in the data at once; each message names file, line and problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the data:\n{shown}{more}")


class StoreError(EsgkgError):
    """The store is missing, locked or unusable."""
