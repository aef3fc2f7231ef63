"""Where a project's parts live: ontology, vocabularies, data, shapes, queries, store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

STORE_ENV = "ESGKG_STORE"
PROJECT_ENV = "ESGKG_PROJECT"


@dataclass(frozen=True)
class Project:
    """The folders of an esgkg project, found from its root."""

    root: Path

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "esgkg.ttl"

    @property
    def vocab_dir(self) -> Path:
        return self.root / "ontology" / "vocab"

    @property
    def qc_dir(self) -> Path:
        return self.root / "ontology" / "qc"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def default_store(self) -> Path:
        """The embedded store's folder: $ESGKG_STORE (a folder), else ``<project>/.esgkg/store``."""
        env = os.environ.get(STORE_ENV)
        return Path(env) if env and not _is_url(env) else self.root / ".esgkg" / "store"

    @property
    def store_location(self) -> Path | str:
        """Where the store is when ``--store`` is not given: $ESGKG_STORE (a folder or the URL of
        a SPARQL query endpoint), else ``url`` in ``.esgkg/store.toml``, else ``.esgkg/store``."""
        env = os.environ.get(STORE_ENV)
        if env:
            return env if _is_url(env) else Path(env)
        from .store.remote import read_config

        url = (read_config(self.root) or {}).get("url")
        return url if url else self.default_store

    def report_dirs(self) -> list[Path]:
        """Each folder of ``data/`` that holds a report's sources, sorted by name."""
        if not self.data_dir.is_dir():
            raise InputError(f"data folder not found: {self.data_dir}")
        return sorted(
            p for p in self.data_dir.iterdir()
            if p.is_dir() and not p.name.startswith((".", "_"))
        )


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def find_project(start: Path | None = None) -> Project:
    """The project whose root holds ``ontology/esgkg.ttl``: $ESGKG_PROJECT, else the first
    folder upwards from ``start`` (default: the working directory)."""
    env = os.environ.get(PROJECT_ENV)
    if env:
        project = Project(Path(env).resolve())
        if not project.ontology.is_file():
            raise InputError(f"{PROJECT_ENV}={env} has no ontology/esgkg.ttl")
        return project
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "ontology" / "esgkg.ttl").is_file():
            return Project(folder)
    raise InputError(
        f"no esgkg project found at or above {here} (looked for ontology/esgkg.ttl); "
        f"run from the project folder or set {PROJECT_ENV}"
    )
