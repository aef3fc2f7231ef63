"""Queries evaluated in a worker process that the caller can stop: time limit, row cap, Ctrl-C.

Oxigraph has no query timeout and an evaluation cannot be cancelled: a Python signal handler
never runs while the main thread waits inside it, and a thread cannot be killed. So queries run
in a child process (``_worker.py``) that opens the store read-only itself and streams results
back in chunks; the caller waits on the pipe (where Ctrl-C does interrupt it), and on a timeout,
a Ctrl-C or a result abandoned half-read kills the worker. Workers are persistent, kept in a
small pool per store (one per concurrent query), and a killed one is replaced at the next query.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import InputError, StoreError

DEFAULT_TIMEOUT = 30.0  # seconds; None means no limit
WORKER = Path(__file__).with_name("_worker.py")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]


class QueryTimeout(InputError):
    """The query ran longer than its time limit (the worker evaluating it was stopped)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"the query ran longer than {seconds:g} s (the time limit: --timeout in the "
                         "CLI, timeout= in the API)")


class QueryWorker:
    """One worker process and the two ends of its pipes."""

    def __init__(self, path: Path):
        child_read, parent_write = os.pipe()
        parent_read, child_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", str(WORKER), str(path), str(child_read), str(child_write)],
                pass_fds=(child_read, child_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C at the terminal is the parent's to handle
            )
        except OSError as exc:
            for fd in (parent_read, parent_write):
                os.close(fd)
            raise StoreError(f"cannot start a query worker: {exc}") from None
        finally:
            os.close(child_read)
            os.close(child_write)
        self.requests = Connection(parent_write, readable=False)
        self.replies = Connection(parent_read, writable=False)
        self.pending: deque[tuple] = deque()  # replies come in batches

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, request: tuple) -> None:
        self.requests.send(request)

    def recv(self, deadline: float | None, timeout: float | None) -> tuple:
        """The next reply; past ``deadline`` the worker is killed and QueryTimeout raised."""
        while True:
            if not self.pending:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    if not self.replies.poll(remaining):
                        self.kill()
                        raise QueryTimeout(timeout or 0.0)
                    self.pending.extend(self.replies.recv())
                except (EOFError, OSError):  # it died: killed from outside, out of memory ...
                    self.kill()
                    raise StoreError("the query worker stopped unexpectedly (exit code "
                                     f"{self.process.returncode})") from None
            reply = self.pending.popleft()
            if reply[0] != "ready":
                return reply

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()
        self.pending.clear()
        self.requests.close()
        self.replies.close()


class WorkerPool:
    """Persistent workers over one store build: one per query running at the same time."""

    def __init__(self, path: Path, max_idle: int = 2):
        self.path = path
        self.max_idle = max_idle
        self._idle: list[QueryWorker] = []
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, WorkerPool._kill_all, self._idle)

    def acquire(self) -> QueryWorker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                worker.kill()
        return QueryWorker(self.path)

    def release(self, worker: QueryWorker) -> None:
        with self._lock:
            if worker.alive and len(self._idle) < self.max_idle:
                self._idle.append(worker)
                return
        worker.kill()

    @staticmethod
    def _kill_all(workers: list[QueryWorker]) -> None:
        while workers:
            workers.pop().kill()

    def close(self) -> None:
        with self._lock:
            self._kill_all(self._idle)


_datatypes: dict[str, ox.NamedNode] = {}


def _term(value: Any) -> Any:
    """An RDF term back from the plain value the worker sent (see ``_worker``)."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return ox.NamedNode(value)
    if kind is tuple:
        if len(value) == 1:
            return ox.BlankNode(value[0])
        text, datatype, language = value
        if language:
            return ox.Literal(text, language=language)
        if datatype == XSD_STRING:
            return ox.Literal(text)
        node = _datatypes.get(datatype)
        if node is None:
            node = _datatypes.setdefault(datatype, ox.NamedNode(datatype))
        return ox.Literal(text, datatype=node)
    return value


class QueryResult:
    """The answer of a query as it streams from the worker; use it as a context manager.

    ``form`` is ``select``, ``ask`` or ``graph`` (CONSTRUCT / DESCRIBE). Iterating yields rows
    (dicts of RDF terms, for SELECT) or ``Triple``s; ``truncated`` says, once the iteration is
    done, that the row cap cut the result. Leaving early (``close()``, or dropping the result)
    stops the query.
    """

    def __init__(self, pool: WorkerPool, worker: QueryWorker, header: tuple, deadline: float | None,
                 timeout: float | None):
        self._pool, self._worker = pool, worker
        self._deadline, self._timeout = deadline, timeout
        self.form: str = header[0]
        self.variables: list[str] = list(header[1]) if self.form == "select" else []
        self.boolean: bool | None = header[1] if self.form == "ask" else None
        self.truncated = False
        self._started = False
        if self.form == "ask":
            self._done()

    def __iter__(self) -> Iterator[Any]:
        if self._started:
            raise RuntimeError("a query result can be read once")
        self._started = True
        return self._items()

    def _items(self) -> Iterator[Any]:
        if self._worker is None:
            return
        names = self.variables
        try:
            while True:
                reply = self._worker.recv(self._deadline, self._timeout)
                if reply[0] == "error":
                    self._done()
                    raise _error(reply)
                if reply[0] == "end":
                    self.truncated = reply[1]
                    self._done()
                rows = reply[-1]
                if self.form == "select":
                    for values in rows:
                        yield dict(zip(names, map(_term, values), strict=True))
                else:
                    for s, p, o in rows:
                        yield ox.Triple(_term(s), _term(p), _term(o))
                if reply[0] == "end":
                    return
        except BaseException:  # a timeout, Ctrl-C, or the reader leaving early (GeneratorExit)
            self.close()
            raise

    def __bool__(self) -> bool:
        if self.form != "ask":
            raise TypeError("only an ASK query has a boolean answer")
        return bool(self.boolean)

    def _done(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self._pool.release(worker)

    def close(self) -> None:
        """Stop reading: a worker still streaming is killed (a new one starts for the next query)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()

    def __enter__(self) -> QueryResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _error(reply: tuple) -> InputError | StoreError:
    _, kind, message = reply
    if kind == "syntax":
        return InputError(f"malformed SPARQL: {message}")
    if kind == "open":
        return StoreError(message)
    return InputError(f"the query failed: {message}")


def run(pool: WorkerPool, sparql: str, prefixes: dict[str, str], graphs: Sequence[str] | None,
        limit: int | None, timeout: float | None) -> QueryResult:
    """Send a query to a worker of ``pool`` and return its result once the answer has begun.

    A malformed query raises here; the rows are read (and the limits enforced) as the caller
    iterates.
    """
    if timeout is not None and timeout <= 0:
        raise InputError(f"the time limit must be more than 0 s, not {timeout:g}")
    if limit is not None and limit < 0:
        raise InputError(f"the row limit must be 0 or more, not {limit}")
    deadline = None if timeout is None else time.monotonic() + timeout
    request = (sparql, prefixes, list(graphs) if graphs else None, limit)
    worker = pool.acquire()
    try:
        try:
            worker.send(request)
        except OSError:  # it died while idle: one more try with a new worker
            worker.kill()
            worker = QueryWorker(pool.path)
            worker.send(request)
        header = worker.recv(deadline, timeout)
    except BaseException:
        worker.kill()
        raise
    if header[0] == "error":
        pool.release(worker)
        raise _error(header)
    return QueryResult(pool, worker, header, deadline, timeout)
