"""Real SPARQL servers on loopback for the remote-store tests: Oxigraph server and Virtuoso.

Each is started once per test session on free ports, in a temporary folder, loaded with the
shipped data by esgkg's own remote build, and stopped by its PID at the end. Where the program
is not installed, the tests that need it skip, saying what to install (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

VIRTUOSO_ENV = {"ESGKG_STORE_USER": "dba", "ESGKG_STORE_PASSWORD": "dba", "ESGKG_STORE_AUTH": "digest"}


@dataclass
class Server:
    """A running server: its query endpoint, the environment (credentials) a client needs."""

    name: str
    url: str
    process: subprocess.Popen
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _die_with_parent() -> None:
    """In the server's process, before it runs: the kernel sends it SIGTERM when the test run that
    started it dies (killed, or stopped at a CI limit), so that no server outlives its tests."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers (an error page is an answer)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the server did not answer at {url} within {seconds:g} s: {log.read_text()[-2000:]}")


def oxigraph_binary() -> str | None:
    here = Path(sys.executable).parent / "oxigraph"
    return str(here) if here.is_file() else shutil.which("oxigraph")


def start_oxigraph(folder: Path) -> Server:
    """``oxigraph serve`` on a free loopback port, its data in ``folder``, queries stopped at 20 s."""
    binary = oxigraph_binary()
    if binary is None:
        pytest.skip("the Oxigraph server is not installed (pip install oxigraph; .ci/run installs it)")
    port = free_port()
    log = folder / "oxigraph.log"
    process = subprocess.Popen([binary, "serve", "--location", str(folder / "db"), "--bind",
                                f"127.0.0.1:{port}", "--timeout-s", "20"],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    _wait_http(f"http://127.0.0.1:{port}/", process, log)
    return Server("oxigraph", f"http://127.0.0.1:{port}/query", process)


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


def start_virtuoso(folder: Path) -> Server:
    """``virtuoso-t +foreground`` with our own configuration: both its ports on 127.0.0.1, its
    database in ``folder``, a result cap far above the data (the stock 10,000 cuts answers)."""
    binary = shutil.which("virtuoso-t")
    if binary is None:
        pytest.skip("Virtuoso is not installed (Debian package virtuoso-opensource; .ci/run installs it)")
    ini = folder / "virtuoso.ini"
    http = free_port()
    ini.write_text(VIRTUOSO_INI.format(d=folder, sql=free_port(), http=http), encoding="utf-8")
    log = folder / "virtuoso.out"
    process = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=folder,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    _wait_http(f"http://127.0.0.1:{http}/sparql?query=ASK%7B%7D", process, log)
    return Server("virtuoso", f"http://127.0.0.1:{http}/sparql", process, dict(VIRTUOSO_ENV))


STARTERS = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}


def running(name: str, folder: Path) -> Iterator[Server]:
    """A started server of kind ``name`` (the generator a fixture yields from), stopped after."""
    server = STARTERS[name](folder)
    try:
        yield server
    finally:
        server.stop()


def client_env(server: Server) -> dict[str, str]:
    """The environment of a client process (the CLI) talking to ``server``."""
    return {**os.environ, **server.env}
