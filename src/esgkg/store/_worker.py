"""The query worker: a child process that evaluates SPARQL over the store, opened read-only.

Started by ``execute.QueryWorker`` as a script (``python _worker.py STORE READ_FD WRITE_FD``), so
it imports only pyoxigraph and the standard library. It answers one request at a time, streaming
results back in chunks; the parent enforces the time limit by killing this process, which is
the only way to stop an Oxigraph evaluation (it cannot be cancelled, and a signal handler never
runs while it holds the thread).

Messages (pickled, over a pipe) — request: ``(sparql, prefixes, graphs | None, limit | None)``;
replies, sent in batches (a tuple of replies a message): ``("ready",)`` once, then per request
``("select", [variable])``, ``("graph",)`` or ``("ask", bool)``, then ``("rows", [...])`` chunks
and ``("end", truncated, [...last rows])``, or ``("error", kind, message)`` at any point.
Terms travel as plain values: an IRI as ``str``, a literal as ``(value, datatype, language)``,
a blank node as ``(id,)``, anything else (a quoted triple) pickled as is.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us

import os  # noqa: E402
import pickle  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import pyoxigraph as ox  # noqa: E402

MAX_CHUNK = 1000  # rows per message at most ...
CHUNK_SECONDS = 0.02  # ... and a row waits no longer than this (after the next one) to be sent


class Connection:
    """The framing of ``multiprocessing.connection.Connection`` (which the parent uses), without
    importing multiprocessing (a tenth of a second at each start): a signed 32-bit big-endian
    length (-1, then an unsigned 64-bit one, past 2 GiB), then the pickle."""

    def __init__(self, read_fd: int, write_fd: int):
        self.reader = os.fdopen(read_fd, "rb")
        self.write_fd = write_fd

    def send(self, obj: object) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        n = len(data)
        header = struct.pack("!i", n) if n <= 0x7FFFFFFF else struct.pack("!iQ", -1, n)
        view = memoryview(header + data)
        while view:
            view = view[os.write(self.write_fd, view):]

    def _read(self, n: int) -> bytes:
        data = self.reader.read(n)
        if data is None or len(data) < n:
            raise EOFError
        return data

    def recv(self) -> object:
        (n,) = struct.unpack("!i", self._read(4))
        if n == -1:
            (n,) = struct.unpack("!Q", self._read(8))
        return pickle.loads(self._read(n))


def _term(t: object) -> object:
    if t is None:
        return None
    if type(t) is ox.NamedNode:
        return t.value
    if type(t) is ox.Literal:
        return (t.value, t.datatype.value, t.language)
    if type(t) is ox.BlankNode:
        return (t.value,)
    return t


def _solution(sol: ox.QuerySolution) -> tuple:
    return tuple(_term(t) for t in sol)


def _triple(t: ox.Triple) -> tuple:
    return (_term(t.subject), _term(t.predicate), _term(t.object))


def _stream(conn: Connection, head: tuple, items, encode, limit: int | None) -> None:
    """Send ``head``, then ``items`` in chunks: at most MAX_CHUNK, or what came in CHUNK_SECONDS.

    The head goes out with the first chunk, so a small result takes one message (one wake-up
    of the waiting parent).
    """
    pending, chunk = [head], []
    sent_at, n, truncated = time.monotonic(), 0, False
    for item in items:
        if limit is not None and n >= limit:
            truncated = True  # one more than the limit: the result was cut
            break
        chunk.append(encode(item))
        n += 1
        if len(chunk) >= MAX_CHUNK or time.monotonic() - sent_at >= CHUNK_SECONDS:
            conn.send((*pending, ("rows", chunk)))
            pending, chunk, sent_at = [], [], time.monotonic()
    conn.send((*pending, ("end", truncated, chunk)))


def _answer(store: ox.Store, conn: Connection, request: tuple) -> None:
    sparql, prefixes, graphs, limit = request
    kwargs: dict = {"prefixes": prefixes}
    if graphs:  # the same graphs for the default graph and for GRAPH ?g: a restriction leaks nowhere
        kwargs["default_graph"] = [ox.NamedNode(g) for g in graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(sparql, **kwargs)
        if isinstance(result, ox.QuerySolutions):
            _stream(conn, ("select", [v.value for v in result.variables]), result, _solution, limit)
        elif isinstance(result, ox.QueryBoolean):
            conn.send((("ask", bool(result)),))
        else:
            _stream(conn, ("graph",), result, _triple, limit)
    except SyntaxError as exc:
        conn.send((("error", "syntax", str(exc)),))
    except Exception as exc:  # evaluation errors (OSError of a SERVICE call, RuntimeError ...)
        conn.send((("error", type(exc).__name__, str(exc)),))


def _watch_parent(parent: int) -> None:
    """Exit when the parent is gone (killed without closing our pipe while we evaluate)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def main(argv: list[str]) -> int:
    path, read_fd, write_fd = argv[1], int(argv[2]), int(argv[3])
    requests = replies = Connection(read_fd, write_fd)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        store = ox.Store.read_only(path)
    except OSError as exc:
        replies.send((("error", "open", f"cannot open the store at {path}: {exc}"),))
        return 1
    replies.send((("ready",),))
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return 0  # the parent closed the pipe: done
        _answer(store, replies, request)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
