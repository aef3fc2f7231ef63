"""The operator's settings of a served endpoint; every default is the safe one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

UPDATE_TOKEN_ENV = "ESGKG_UPDATE_TOKEN"  # set it to enable SPARQL Update (with that bearer token)


@dataclass(frozen=True)
class ServerConfig:
    """What the server allows. Read-only, no SERVICE, a time limit and a row cap by default."""

    store: Path | str  # a store folder, or the URL of a remote SPARQL store
    project_root: Path | None = None
    timeout: float = 10.0  # seconds per query
    max_rows: int = 10_000  # rows (or triples) a response may hold; more is an error, not a cut
    max_request_bytes: int = 100_000  # a query text, a form or a body larger than this is refused
    allow_service: bool = False
    update_token: str | None = field(default=None, repr=False)  # None: SPARQL Update refused
    threads: int = 8  # requests served at the same time

    @classmethod
    def from_env(cls, **kwargs) -> ServerConfig:
        """Settings with the update token taken from $ESGKG_UPDATE_TOKEN (never from the command line)."""
        token = os.environ.get(UPDATE_TOKEN_ENV) or None
        return cls(update_token=token, **kwargs)
