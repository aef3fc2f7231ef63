"""A remote SPARQL 1.1 store as a backend: the same interface as ``EmbeddedStore``, over HTTP.

Queries go over the SPARQL 1.1 Protocol (SPARQLWrapper, form-encoded POST); loading goes over
the SPARQL 1.1 Graph Store HTTP Protocol, one ``PUT`` per named graph, which replaces the graph
whole, so a reload is idempotent. esgkg's graphs are the named graphs whose IRI starts with
``https://w3id.org/esgkg/graph/``: the store may hold others (an engine's own system graphs, a
user's data), which esgkg never reads, writes or deletes.

The query policy is the embedded store's: a query sees the union of esgkg's graphs, unless it
names graphs itself. Both are sent as the protocol's dataset (``default-graph-uri`` and
``named-graph-uri`` each listing the graphs), so no engine-specific switch is needed and an
engine's own graphs stay out of the answers.

Where the endpoints are: ``--store URL`` (or ``$ESGKG_STORE``, or ``url`` in ``.esgkg/store.toml``)
is the query endpoint. The update and Graph Store endpoints are derived from it for the two
engines tested here, or given in the configuration file (``update``, ``graph_store``):

- ``http://HOST:PORT/query`` (Oxigraph server): ``/update`` and ``/store?graph=IRI``;
- ``http://HOST:PORT/sparql`` (Virtuoso): ``/sparql-auth`` and ``/sparql-graph-crud-auth?graph-uri=IRI``
  (the authenticated endpoints; without credentials, ``/sparql`` and ``/sparql-graph-crud``).

Credentials come from the environment only, never from the command line or a committed file:
``ESGKG_STORE_USER`` + ``ESGKG_STORE_PASSWORD`` (``ESGKG_STORE_AUTH=basic``, the default, or
``digest``), or ``ESGKG_STORE_TOKEN`` (a bearer token). A URL with a user or password in it is
refused, as is a configuration file holding one.
"""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import InputError, StoreError
from ..namespaces import PREFIXES
from .embedded import StoreReads, bind_values
from .execute import DEFAULT_TIMEOUT, QueryTimeout
from .guard import check_query, uses_service

__all__ = ["ESGKG_GRAPHS", "RemoteStore", "StoreConfig", "is_remote"]

ESGKG_GRAPHS = "https://w3id.org/esgkg/graph/"  # the graphs esgkg reads and writes
# the build lock's graph: outside ESGKG_GRAPHS, so never listed, queried, exported or validated
LOCK_GRAPH = "https://w3id.org/esgkg/lock/build"
# the last complete build's id, in a graph of its own (also outside ESGKG_GRAPHS): a server over the
# store sees a rebuild by it (esgkg serve recomputes its per-build pages, such as validation)
STATE_GRAPH = "https://w3id.org/esgkg/lock/state"
LOCK_HEARTBEAT = 10.0  # seconds between two renewals of a held lock
LOCK_STALE = 60.0  # a lock not renewed for this long is a killed build's: the next build takes it
LOCK_WAIT = 600.0  # how long a build waits for another one's lock by default
_LOCK_POLL = 2.0
_LOCK_PREFIX = f"PREFIX lock: <{LOCK_GRAPH}#>\n"
_G = f"<{LOCK_GRAPH}>"
CONFIG_FILE = Path(".esgkg") / "store.toml"
_CONFIG_KEYS = {"url", "update", "graph_store", "graph_param"}
_SECRET_KEYS = {"user", "password", "token", "username", "credentials"}
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_GRAPHS_TTL = 2.0  # seconds the list of graphs is kept before it is asked again


def is_remote(location: str | os.PathLike | None) -> bool:
    """Whether a store location is a URL (http or https) rather than a folder."""
    return isinstance(location, str) and bool(re.match(r"(?i)https?://", location))


@dataclass(frozen=True)
class StoreConfig:
    """Where a remote store's three endpoints are, and the Graph Store's graph parameter."""

    query: str
    update: str
    graph_store: str
    graph_param: str = "graph"

    @classmethod
    def from_url(cls, url: str, overrides: Mapping[str, str] | None = None,
                 authenticated: bool = False) -> StoreConfig:
        """The endpoints of the store whose query endpoint is ``url`` (see the module's text)."""
        overrides = dict(overrides or {})
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise InputError(f"{url!r} is not an http(s) URL of a SPARQL query endpoint")
        if parts.username or parts.password:
            raise InputError("a store URL must not carry a user or password: put credentials in "
                             "ESGKG_STORE_USER / ESGKG_STORE_PASSWORD (or ESGKG_STORE_TOKEN) instead")
        base, _, last = parts.path.rstrip("/").rpartition("/")
        root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, base, "", ""))
        if last == "query":  # Oxigraph server (Fuseki also ends in /query, but its Graph Store is /data)
            derived = {"update": f"{root}/update", "graph_store": f"{root}/store", "graph_param": "graph"}
        elif last == "sparql":  # Virtuoso
            auth = "-auth" if authenticated else ""
            derived = {"update": f"{root}/sparql{auth}", "graph_store": f"{root}/sparql-graph-crud{auth}",
                       "graph_param": "graph-uri"}
        else:  # another engine: its update and Graph Store endpoints come from the configuration
            derived = {}
        merged = {**derived, **{k: v for k, v in overrides.items() if k in _CONFIG_KEYS - {"url"}}}
        return cls(query=url, update=merged.get("update", ""), graph_store=merged.get("graph_store", ""),
                   graph_param=merged.get("graph_param", "graph"))


def read_config(project_root: Path | None) -> dict[str, str] | None:
    """The ``[store]`` table of ``<project>/.esgkg/store.toml``, or None where there is none.

    A key holding a credential is refused: credentials come from the environment only.
    """
    if project_root is None:
        return None
    path = project_root / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("store", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    if not isinstance(table, dict):
        raise InputError(f"{path}: [store] must be a table")
    secrets = sorted(set(table) & _SECRET_KEYS)
    if secrets:
        raise InputError(f"{path}: {', '.join(secrets)} must not be written in a file: set "
                         "ESGKG_STORE_USER / ESGKG_STORE_PASSWORD or ESGKG_STORE_TOKEN in the environment")
    unknown = sorted(set(table) - _CONFIG_KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(unknown)} in [store] "
                         f"(known: {', '.join(sorted(_CONFIG_KEYS))})")
    bad = [k for k, v in table.items() if not isinstance(v, str)]
    if bad:
        raise InputError(f"{path}: {', '.join(bad)} must be a string")
    return table


class _PreemptiveDigest(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once challenged, signs every later request before sending it."""

    challenge: dict[str, str] | None = None

    def retry_http_digest_auth(self, req, auth):
        _scheme, _, text = auth.partition(" ")
        self.challenge = urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(text)))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        if self.challenge and not req.has_header("Authorization"):
            signed = self.get_authorization(req, self.challenge)
            if signed:
                req.add_unredirected_header("Authorization", f"Digest {signed}")
        return req

    https_request = http_request


class _Auth:
    """Credentials from the environment, applied to urllib requests and to SPARQLWrapper."""

    def __init__(self, env: Mapping[str, str]):
        self.user = env.get("ESGKG_STORE_USER")
        self.password = env.get("ESGKG_STORE_PASSWORD")
        self.token = env.get("ESGKG_STORE_TOKEN")
        self.scheme = (env.get("ESGKG_STORE_AUTH") or "basic").lower()
        if self.scheme not in ("basic", "digest"):
            raise InputError(f"ESGKG_STORE_AUTH must be basic or digest, not {self.scheme!r}")
        if bool(self.user) != bool(self.password):
            raise InputError("set both ESGKG_STORE_USER and ESGKG_STORE_PASSWORD (or neither)")

    @property
    def given(self) -> bool:
        return bool(self.user or self.token)

    def opener(self, urls: Iterable[str]) -> urllib.request.OpenerDirector:
        """An opener that authenticates up front: basic at once, digest from the second request on
        (the challenge of the first is kept), so that a large upload is not sent twice, nor cut
        by a server that answers 401 before reading it."""
        if not self.user:
            return urllib.request.build_opener()
        if self.scheme == "basic":
            prior = urllib.request.HTTPPasswordMgrWithPriorAuth()
            for url in urls:
                prior.add_password(None, url, self.user, self.password, is_authenticated=True)
            return urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(prior))
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        for url in urls:
            passwords.add_password(None, url, self.user, self.password)
        return urllib.request.build_opener(_PreemptiveDigest(passwords))

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def _term(value: Mapping[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An RDF term from a SPARQL 1.1 JSON results binding (also the older ``typed-literal``)."""
    kind, text = value.get("type"), value.get("value", "")
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":  # engines name blank nodes freely (Virtuoso: nodeID://b123)
        return ox.BlankNode("b" + re.sub(r"[^A-Za-z0-9]", "_", text))
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang") or value.get("lang")
        if language:
            return ox.Literal(text, language=language)
        datatype = value.get("datatype")
        if datatype == _XSD_BOOLEAN and text in ("0", "1"):  # Virtuoso writes booleans as 0 / 1
            text = "true" if text == "1" else "false"
        return ox.Literal(text, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(text)
    raise StoreError(f"the store answered a term of unknown type {kind!r}")


class RemoteResult:
    """A query's answer from a remote store, with ``QueryResult``'s interface: ``form``
    (``select``, ``ask``, ``graph``), ``variables``, iteration, ``truncated``, ``bool()`` for ASK."""

    def __init__(self, form: str, variables: list[str], items: list, boolean: bool | None,
                 limit: int | None):
        self.form, self.variables, self.boolean = form, variables, boolean
        self.truncated = limit is not None and len(items) > limit
        self._items = items[:limit] if limit is not None else items
        self._started = False

    def __iter__(self) -> Iterator[Any]:
        if self._started:
            raise RuntimeError("a query result can be read once")
        self._started = True
        return iter(self._items)

    def __bool__(self) -> bool:
        if self.form != "ask":
            raise TypeError("only an ASK query has a boolean answer")
        return bool(self.boolean)

    def close(self) -> None:
        self._items = []

    def __enter__(self) -> RemoteResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteStore(StoreReads):
    """esgkg's graphs in a SPARQL 1.1 store reached over HTTP (see the module's text)."""

    path = None  # no build folder: the engine keeps the data

    def __init__(self, config: StoreConfig, env: Mapping[str, str] | None = None):
        self.config = config
        self.location = config.query
        self._auth = _Auth(os.environ if env is None else env)
        self._opener = self._auth.opener(u for u in (config.query, config.update, config.graph_store) if u)
        self._graphs: tuple[float, list[str]] | None = None
        self._prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

    @classmethod
    def open(cls, url: str, project_root: Path | None = None,
             env: Mapping[str, str] | None = None) -> RemoteStore:
        """The store whose query endpoint is ``url``; endpoints from ``.esgkg/store.toml`` where set."""
        env = os.environ if env is None else env
        overrides = read_config(project_root) or {}
        config = StoreConfig.from_url(url, overrides, authenticated=_Auth(env).given)
        store = cls(config, env)
        store.graphs()  # fail early, naming the URL, when nothing answers there
        return store

    def __repr__(self) -> str:
        return f"RemoteStore({self.location!r})"

    # --- HTTP ---------------------------------------------------------------------------------
    def _request(self, method: str, url: str, *, data: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                 what: str = "", missing_ok: bool = False) -> bytes:
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={**(headers or {}), **self._auth.headers()})
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return b""
            detail = exc.read()[:500].decode("utf-8", "replace").strip()
            if exc.code in (401, 403):
                raise StoreError(f"the store at {url} refused {what or method} ({exc.code}): set "
                                 "ESGKG_STORE_USER / ESGKG_STORE_PASSWORD (ESGKG_STORE_AUTH=digest "
                                 "for Virtuoso) or ESGKG_STORE_TOKEN") from None
            if exc.code == 400 and what == "the query":
                raise InputError(f"the store rejected the query: {detail}") from None
            raise StoreError(f"the store at {url} answered {exc.code} to {what or method}: "
                             f"{detail}") from None
        except TimeoutError:
            raise QueryTimeout(timeout or 0) if what == "the query" else StoreError(
                f"the store at {url} did not answer {what or method} within {timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError) and what == "the query":
                raise QueryTimeout(timeout or 0) from None
            raise StoreError(f"cannot reach the store at {url}: {exc.reason}") from None
        except OSError as exc:
            raise StoreError(f"cannot reach the store at {url}: {exc}") from None
        if timeout is not None and what == "the query" and time.monotonic() - started > timeout:
            raise QueryTimeout(timeout)
        return body

    def _post_query(self, text: str, accept: str, graphs: Sequence[str],
                    timeout: float | None, form: str = "SELECT") -> bytes:
        """The query over the SPARQL 1.1 Protocol (form-encoded POST) with SPARQLWrapper's request
        built for it; the dataset is the given graphs, as default and as named graphs."""
        from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper

        wrapper = SPARQLWrapper(self.config.query)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setOnlyConneg(True)  # no format= parameters: the Accept header says what we read
        wrapper.setQuery(text)
        wrapper.queryType = form  # ours, from the parsed prologue: SPARQLWrapper guesses from words
        for graph in graphs:
            wrapper.addDefaultGraph(graph)
            wrapper.addNamedGraph(graph)
        request = wrapper._createRequest()  # the protocol request, sent with our auth and timeout
        headers = {k: v for k, v in request.header_items() if k.lower() not in ("accept", "user-agent")}
        headers["Accept"] = accept
        headers["User-Agent"] = "esgkg"
        return self._request("POST", request.full_url, data=request.data, headers=headers,
                             timeout=timeout, what="the query")

    # --- the store interface --------------------------------------------------------------------
    def graphs(self) -> list[str]:
        """esgkg's named graphs in the store (kept for a few seconds between two asks)."""
        now = time.monotonic()
        if self._graphs is not None and now - self._graphs[0] < _GRAPHS_TTL:
            return list(self._graphs[1])
        text = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), \"{ESGKG_GRAPHS}\")) }}")
        body = self._post_query(text, "application/sparql-results+json", [], DEFAULT_TIMEOUT)
        names = sorted(b["g"]["value"] for b in _bindings(body, self.location) if "g" in b)
        self._graphs = (now, names)
        return list(names)

    def search_index(self) -> None:
        """None: a remote store has no full-text index; ``find`` runs as SPARQL (see ``api``)."""
        return None

    def query(self, sparql: str, *, graphs: Sequence[str] | None = None,
              bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
              timeout: float | None = DEFAULT_TIMEOUT, limit: int | None = None,
              allow_service: bool = False) -> RemoteResult:
        """Run a SPARQL query on the store, with ``EmbeddedStore.query``'s rules and keywords.

        The text is checked here first (an update or, unless allowed, SERVICE is refused; a
        syntax error is reported with Oxigraph's parser message, line and column), so the
        server sees only read queries that parse; the project's prefixes are declared.
        """
        if bindings:
            sparql = bind_values(sparql, bindings)
        form = check_query(sparql, allow_service=allow_service)
        if timeout is not None and timeout <= 0:
            raise InputError(f"the time limit must be more than 0 s, not {timeout:g}")
        if limit is not None and limit < 0:
            raise InputError(f"the row limit must be 0 or more, not {limit}")
        if not uses_service(sparql):
            _check_syntax(sparql)
        text = self._prologue + sparql
        dataset = list(graphs) if graphs else self.graphs()
        if form in ("CONSTRUCT", "DESCRIBE"):
            body = self._post_query(text, "application/n-triples, text/turtle;q=0.9", dataset, timeout, form)
            try:  # N-Triples is Turtle: one parser reads either answer
                triples = [ox.Triple(q.subject, q.predicate, q.object)
                           for q in ox.parse(body, format=ox.RdfFormat.TURTLE)]
            except SyntaxError as exc:
                raise StoreError(f"the store at {self.location} answered RDF that does not parse: "
                                 f"{exc}") from None
            return RemoteResult("graph", [], triples, None, limit)
        data = _json(self._post_query(text, "application/sparql-results+json", dataset, timeout, form),
                     self.location)
        if isinstance(data.get("boolean"), bool):
            return RemoteResult("ask", [], [], data["boolean"], None)
        head = data.get("head")
        names = head.get("vars") if isinstance(head, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise StoreError(f"the store at {self.location} did not answer SPARQL JSON results (no "
                             "head.vars list of names, and no boolean)")
        rows = [{n: (_term(b[n]) if n in b else None) for n in names}
                for b in _solutions(data, self.location)]
        return RemoteResult("select", names, rows, None, limit)

    def dump_graph(self, graph: str) -> bytes:
        """One named graph as N-Triples (a CONSTRUCT of it, checked against its count: an engine's
        row cap, such as Virtuoso's ResultSetMaxRows, must not cut it silently)."""
        with self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", graphs=[graph], timeout=None) as result:
            triples = list(result)
        _n, rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", graphs=[graph], timeout=None)
        expected = int(rows[0]["n"].value)
        if len(triples) != expected:
            raise StoreError(f"the store at {self.location} returned {len(triples):,} of the {expected:,} "
                             f"triples of <{graph}>: raise its result-size cap (Virtuoso: "
                             "[SPARQL] ResultSetMaxRows in virtuoso.ini)")
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)

    # --- loading --------------------------------------------------------------------------------
    def update(self, text: str, what: str) -> None:
        """Run a SPARQL Update on the store's update endpoint (the SPARQL 1.1 Protocol's form POST).
        Only esgkg's own bookkeeping uses it (the build lock); queries never reach it."""
        if not self.config.update:
            raise StoreError(f"no update endpoint known for {self.location}: set update in {CONFIG_FILE}")
        self._sign_in()
        self._request("POST", self.config.update, data=urllib.parse.urlencode({"update": text}).encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, what=what)

    def _sign_in(self) -> None:
        """With digest credentials, be challenged once by a small request, so that the requests
        after it (a large upload) are signed at once."""
        if self._auth.user and self._auth.scheme == "digest" and not self._signed_in:
            probe = (self._graph_url(ESGKG_GRAPHS + "auth-check") if self.config.graph_store
                     else self.config.update)
            self._request("GET", probe, timeout=DEFAULT_TIMEOUT, what="signing in", missing_ok=True)
            self._signed_in = True

    _signed_in = False

    def lock_holder(self) -> dict[str, str] | None:
        """Who holds the build lock (``by``: host, process and a random id; ``since``;
        ``renewed``), or None: the oldest claim where two builds claimed it at once."""
        text = (f"{_LOCK_PREFIX}SELECT ?by ?since ?renewed WHERE {{ GRAPH {_G} {{ "
                "?claim lock:by ?by ; lock:since ?since ; lock:renewed ?renewed } } ORDER BY ?since ?by")
        rows = _bindings(self._post_query(text, "application/sparql-results+json", [], DEFAULT_TIMEOUT),
                         self.location)
        holder = {k: v["value"] for k, v in rows[0].items()} if rows else {}
        return holder if {"by", "since", "renewed"} <= holder.keys() else None

    @contextmanager
    def build_lock(self, wait: float | None = LOCK_WAIT,
                   on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the store's build lock for the block: a claim in the lock graph, taken by one SPARQL
        Update that inserts it only where there is none, renewed every ``LOCK_HEARTBEAT`` seconds
        while held, removed at the end. A claim not renewed for ``LOCK_STALE`` seconds (a killed
        build) is removed by the next build. Another build waits up to ``wait`` seconds (None:
        for ever), then fails with a StoreError naming the holder. Where two builds insert at once
        (an engine that does not serialise updates), the older claim wins and the other retracts."""
        me = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:12]}"
        claim = f"lock:{uuid.uuid4().hex}"
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        told = False
        while True:
            now = datetime.now(UTC)
            stale = _xsd(now - timedelta(seconds=LOCK_STALE))
            self.update(  # a killed build's claim goes; then ours goes in where there is none
                f"{_LOCK_PREFIX}DELETE {{ GRAPH {_G} {{ ?c ?p ?o }} }} "
                f"WHERE {{ GRAPH {_G} {{ ?c lock:renewed ?r ; ?p ?o . FILTER(?r < {stale}) }} }} ;\n"
                f"INSERT {{ GRAPH {_G} {{ {claim} lock:by {json.dumps(me)} ; "
                f"lock:since {_xsd(now)} ; lock:renewed {_xsd(now)} }} }} "
                f"WHERE {{ FILTER NOT EXISTS {{ GRAPH {_G} {{ ?c ?p ?o }} }} }}", "taking the build lock")
            holder = self.lock_holder()
            if holder is not None and holder["by"] == me:
                break
            self._drop_claim(claim)  # ours, if it went in beside an older one
            if deadline is not None and time.monotonic() >= deadline:
                how = "not waiting (--wait 0)" if not wait else f"gave up after waiting {wait:g} s"
                who = f"{holder['by']} (since {holder['since']})" if holder else "another build"
                raise StoreError(f"the build of {who} is writing the store at {self.location}: {how}; "
                                 "try again when it has finished, or wait longer (esgkg build --wait "
                                 f"SECONDS); a killed build's lock lapses {LOCK_STALE:g} s after it died")
            if not told and holder is not None:
                limit = "" if wait is None else f" (up to {wait:g} s)"
                (on_wait or (lambda _m: None))(f"waiting for the build of {holder['by']} to finish{limit}")
                told = True
            left = _LOCK_POLL if deadline is None else deadline - time.monotonic()
            time.sleep(max(0.0, min(_LOCK_POLL, left)))
        stop = threading.Event()
        beat = copy.copy(self)  # its own connection and digest state: it runs beside the load
        beat._opener = self._auth.opener(u for u in (self.config.query, self.config.update,
                                                     self.config.graph_store) if u)
        beat._signed_in = False

        def renew() -> None:
            while not stop.wait(LOCK_HEARTBEAT):
                try:
                    stamp = _xsd(datetime.now(UTC))
                    beat.update(f"{_LOCK_PREFIX}DELETE {{ GRAPH {_G} {{ {claim} lock:renewed ?r }} }} "
                                f"INSERT {{ GRAPH {_G} {{ {claim} lock:renewed {stamp} }} }} "
                                f"WHERE {{ GRAPH {_G} {{ {claim} lock:renewed ?r }} }}",
                                "renewing the build lock")
                except (StoreError, InputError):
                    pass  # the next renewal tries again; a lock not renewed lapses

        heartbeat = threading.Thread(target=renew, name="esgkg-build-lock", daemon=True)
        heartbeat.start()
        try:
            yield
        finally:
            stop.set()
            heartbeat.join()
            self._drop_claim(claim)

    def mark_built(self) -> str:
        """Record a new build id in the state graph (after a complete load); returns it."""
        built = uuid.uuid4().hex
        stamp = _xsd(datetime.now(UTC))
        self.update(f"{_LOCK_PREFIX}DROP SILENT GRAPH <{STATE_GRAPH}> ;\n"
                    f"INSERT DATA {{ GRAPH <{STATE_GRAPH}> {{ "
                    f"lock:store lock:lastBuild {json.dumps(built)} ; lock:builtAt {stamp} }} }}",
                    "recording the build")
        self._build = (time.monotonic(), built)
        return built

    _build: tuple[float, str | None] | None = None

    def build_id(self) -> str | None:
        """The id of the last build esgkg loaded into the store (None: none recorded), asked again
        at most every two seconds."""
        now = time.monotonic()
        if self._build is None or now - self._build[0] >= _GRAPHS_TTL:
            text = (f"{_LOCK_PREFIX}SELECT ?id WHERE {{ GRAPH <{STATE_GRAPH}> "
                    "{ lock:store lock:lastBuild ?id } }")
            rows = _bindings(self._post_query(text, "application/sparql-results+json", [], DEFAULT_TIMEOUT),
                             self.location)
            self._build = (now, rows[0]["id"]["value"] if rows and "id" in rows[0] else None)
        return self._build[1]

    def _drop_claim(self, claim: str) -> None:
        self.update(f"{_LOCK_PREFIX}DELETE WHERE {{ GRAPH {_G} {{ {claim} ?p ?o }} }}",
                    "releasing the build lock")

    def replace_graphs(self, graphs: Iterable[tuple[str, bytes]], *, drop_others: bool = True,
                       progress: Any = None) -> dict[str, int]:
        """Put each (graph IRI, N-Triples) in the store, replacing the graph whole (Graph Store
        Protocol PUT); then, with ``drop_others``, delete esgkg's graphs that were not given (a
        report removed from ``data/``). Returns the triples per graph as the store counts them,
        checked against what was sent."""
        if not self.config.graph_store:
            raise StoreError(f"no Graph Store endpoint known for {self.location}: set graph_store in "
                             f"{CONFIG_FILE}")
        self._sign_in()
        sent: dict[str, int] = {}
        for graph, data in graphs:
            if not graph.startswith(ESGKG_GRAPHS):
                raise InputError(f"<{graph}> is not one of esgkg's graphs ({ESGKG_GRAPHS}...)")
            self._request("PUT", self._graph_url(graph), data=data, timeout=None,
                          headers={"Content-Type": "application/n-triples"}, what=f"loading <{graph}>")
            sent[graph] = _count_lines(data)
            if progress:
                progress(graph, sent[graph])
        if drop_others:
            for graph in set(self._list_graphs_now()) - set(sent):
                self._request("DELETE", self._graph_url(graph), timeout=None, what=f"deleting <{graph}>")
        self._graphs = None
        counts = self.count_per_graph()
        wrong = {g: (n, counts.get(g, 0)) for g, n in sent.items() if counts.get(g, 0) != n}
        if wrong:
            detail = "; ".join(f"<{g}>: sent {a:,}, holds {b:,}" for g, (a, b) in sorted(wrong.items()))
            raise StoreError(f"the store at {self.location} does not hold what was loaded: {detail}")
        return {g: counts[g] for g in sent}

    def _list_graphs_now(self) -> list[str]:
        self._graphs = None
        return self.graphs()

    def _graph_url(self, graph: str) -> str:
        sep = "&" if "?" in self.config.graph_store else "?"
        return f"{self.config.graph_store}{sep}{urllib.parse.urlencode({self.config.graph_param: graph})}"

    def close(self) -> None:
        self._graphs = None


def _xsd(moment: datetime) -> str:
    """An xsd:dateTime literal (UTC) in SPARQL syntax."""
    return f'"{moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}"^^<http://www.w3.org/2001/XMLSchema#dateTime>'


def _json(body: bytes, where: str) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise StoreError(f"the store at {where} did not answer SPARQL JSON results: "
                         f"{body[:200]!r}") from None
    if not isinstance(data, dict):
        raise StoreError(f"the store at {where} did not answer SPARQL JSON results")
    return data


def _bindings(body: bytes, where: str) -> list[dict]:
    """The solutions of a SPARQL JSON SELECT answer (``results.bindings``), each a mapping of
    variable to ``{"type", "value", ...}``; anything else is a StoreError naming the store."""
    return _solutions(_json(body, where), where)


def _solutions(data: dict, where: str) -> list[dict]:
    """``_bindings`` of an answer already read as JSON."""
    rows = data.get("results", {})
    rows = rows.get("bindings") if isinstance(rows, dict) else None
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and all(isinstance(v, dict) and isinstance(v.get("value"), str)
                                        for v in r.values()) for r in rows):
        raise StoreError(f"the store at {where} did not answer SPARQL JSON results (no results.bindings "
                         "list of terms)")
    return rows


_EMPTY = ox.Store()


def _check_syntax(sparql: str) -> None:
    """Parse the query with Oxigraph (evaluated over an empty in-memory store: nothing to read)."""
    try:
        _EMPTY.query(sparql, prefixes={p: str(ns) for p, ns in PREFIXES.items()})
    except SyntaxError as exc:
        raise InputError(f"malformed SPARQL: {exc}") from None
    except Exception:  # an evaluation error over no data: the remote engine will say its own
        pass


def _count_lines(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.strip() and not line.lstrip().startswith(b"#"))
