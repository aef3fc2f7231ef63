"""The SPARQL 1.1 Protocol endpoint (``/sparql``) and the named queries over HTTP (``/api/queries``).

Every query goes through the one query path (``EmbeddedStore.query``, or ``KnowledgeGraph``'s
``stream_named`` on top of it): its worker process, the server's time limit, SERVICE and Update
guards. A result is read whole, at most ``max_rows`` rows or triples (one more is refused with
422, never cut), then written in the negotiated format. SPARQL Update is refused unless the
operator set an update token; then an authorised update becomes a new build of the store (see
``apply_update`` in ``esgkg.store.builds``), applied in a child process that is killed at its
time limit. The routes, formats and errors are described in ``README.md`` beside this file.
"""

from __future__ import annotations

import hmac
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

from .. import ids
from ..errors import InputError, StoreError
from ..namespaces import PREFIXES, VOCAB
from ..query import OPTIONAL, closest
from ..search import DEFAULT_LIMIT, PAGED, SEARCHABLE, page_bounds
from ..store import is_remote
from ..store.builds import read_marker
from ..store.execute import QueryResult, QueryTimeout
from ..store.guard import UPDATE_KEYWORDS, keywords, query_form, uses_service
from .app import GraphHolder
from .config import UPDATE_TOKEN_ENV, ServerConfig
from .errors import HttpError, error_response
from .results import NotAcceptable, ask_body, graph_body, negotiate, select_body

blueprint = Blueprint("protocol", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
DCTERMS = "http://purl.org/dc/terms/"
DIRECT_TYPES = ("application/sparql-query", "application/sparql-update")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# parameters of /api/queries/<name> itself (unless the query declares them); limit and offset page
# find and find-figure, which the build's search index answers
RESERVED = ("report", "format", "limit", "offset")

READ_ONLY = ("the endpoint is read-only: SPARQL Update is refused (the operator enables it by setting "
             f"${UPDATE_TOKEN_ENV} before `esgkg serve`)")
SERVICE_REFUSED = ("SERVICE is refused: this server does not call other endpoints (the operator can allow "
                   "it with `esgkg serve --allow-service`)")
LOAD_REFUSED = ("LOAD is refused: this server does not fetch URLs (the operator can allow it with "
                "`esgkg serve --allow-service`)")


def _holder() -> GraphHolder:
    return current_app.extensions["esgkg"]


def _config() -> ServerConfig:
    return _holder().config


# -- errors and limits ------------------------------------------------------------------------


@blueprint.errorhandler(HttpError)
def _http_error(exc: HttpError) -> Response:
    return error_response(exc.status, exc.message, exc.headers)


@blueprint.errorhandler(HTTPException)
def _werkzeug_error(exc: HTTPException) -> Response:
    if exc.code == 413:
        return error_response(413, f"the request is larger than this server's limit of "
                                   f"{_config().max_request_bytes:,} bytes")
    return error_response(exc.code or 500, exc.description or exc.name)


@blueprint.before_request
def _limit_query_string() -> None:
    """A GET query string is held to the same size limit as a body (Flask's MAX_CONTENT_LENGTH)."""
    limit = _config().max_request_bytes
    if len(request.query_string) > limit:
        raise HttpError(413, f"the query string is {len(request.query_string):,} bytes, more than this "
                             f"server's limit of {limit:,} (a POSTed query has the same limit)")


def _single(name: str) -> str | None:
    """The one value of parameter ``name`` (None if absent); given twice is a 400."""
    values = request.values.getlist(name)
    if len(values) > 1:
        raise HttpError(400, f"parameter {name} is given {len(values)} times; give it once")
    return values[0] if values else None


# -- /sparql ----------------------------------------------------------------------------------


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """The SPARQL 1.1 Protocol: query (GET or POST), update (POST, opt-in), service description."""
    operation, text = _operation()
    if operation == "update":
        return _update(text)
    if operation == "query":
        return _query(text)
    if request.method == "POST":
        raise HttpError(400, "no query: POST a form with query= (or update=), or a body of type "
                             "application/sparql-query (or application/sparql-update)")
    return _service_description()


def _operation() -> tuple[str | None, str]:
    """What the request asks: ``("query" | "update", text)``, or ``(None, "")`` for no operation."""
    if request.method == "POST" and request.mimetype in DIRECT_TYPES:
        text = _body_text()
        kind = "query" if request.mimetype == "application/sparql-query" else "update"
        if "query" in request.args or "update" in request.args:
            raise HttpError(400, f"a POSTed {request.mimetype} body is the {kind}; do not also give "
                                 "query= or update= in the URL")
        return kind, text
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        raise HttpError(415, f"a POST to /sparql is a form (application/x-www-form-urlencoded) or a body "
                             f"of type application/sparql-query or application/sparql-update, not "
                             f"{request.mimetype or 'a body without Content-Type'}")
    query, update = _single("query"), _single("update")
    if query is not None and update is not None:
        raise HttpError(400, "give query= or update=, not both")
    if update is not None:
        if request.method != "POST":
            raise HttpError(405, "a SPARQL Update must be sent with POST", {"Allow": "POST"})
        if "update" in request.args:
            raise HttpError(400, "send update= in the POSTed form, not in the URL")
        return "update", update
    if query is not None:
        return "query", query
    return None, ""


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        return request.get_data(cache=True).decode(charset)
    except LookupError:
        raise HttpError(415, f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"the body is not valid {charset}: {exc.reason} at byte {exc.start}") from None


def _form(text: str) -> str:
    """The kind of answer a query text gives: ``select``, ``ask`` or ``graph`` (by its first keyword)."""
    word = query_form(text)
    if word in UPDATE_KEYWORDS:
        if _config().update_token:
            raise HttpError(400, "this is a SPARQL Update: send it as update= (POST form) or as a body of "
                                 "type application/sparql-update, with the bearer token")
        raise HttpError(403, READ_ONLY)
    return "graph" if word in ("CONSTRUCT", "DESCRIBE") else "ask" if word == "ASK" else "select"


def _query(text: str) -> Response:
    config = _config()
    if not text.strip():
        raise HttpError(400, "the query is empty")
    kind = _form(text)
    if not config.allow_service and uses_service(text):
        raise HttpError(403, SERVICE_REFUSED)
    formats = request.values.getlist("format")
    fmt = _negotiate(kind, formats)
    kg = _holder().get()
    graphs = _dataset(kg)
    return _answer(lambda: kg.store.query(text, graphs=graphs, timeout=config.timeout, limit=config.max_rows,
                                          allow_service=config.allow_service), kind, fmt, formats)


def _negotiate(kind: str, formats: list[str]):
    try:
        return negotiate(kind, request.accept_mimetypes, formats)
    except NotAcceptable as exc:
        raise HttpError(406, str(exc)) from None


def _dataset(kg) -> list[str] | None:
    """The graphs a query may read: ``default-graph-uri`` / ``named-graph-uri``, or ``report=``."""
    iris = request.values.getlist("default-graph-uri") + request.values.getlist("named-graph-uri")
    report = _single("report")
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise HttpError(400, f"graph {iri!r} (default-graph-uri, named-graph-uri) is not an IRI: "
                                 f"{exc}") from None
    if report is not None:
        if iris:
            raise HttpError(400, "give report= or default-graph-uri / named-graph-uri, not both")
        try:
            return kg.graphs_for(report)
        except InputError as exc:
            raise HttpError(400, str(exc)) from None
    return list(dict.fromkeys(iris)) or None


def _answer(start: Callable[[], QueryResult], kind: str, fmt, formats: list[str], *,
            paged: bool = False) -> Response:
    """Run a query (``start`` opens its result), read it whole and write it in ``fmt``.

    ``paged``: the result is one page (find, find-figure): more rows are not an error, the
    response says where the next page starts (``X-Next-Offset`` and a ``Link`` rel="next").
    """
    next_offset = None
    config = _config()
    try:
        with start() as result:
            items = list(result) if result.form != "ask" else []
            truncated = result.truncated
            if paged and truncated:
                next_offset, truncated = result.next_offset, False
    except QueryTimeout:
        raise HttpError(503, f"the query ran longer than this server's time limit of {config.timeout:g} s "
                             "and was stopped; narrow it (fewer patterns, a FILTER, a LIMIT)") from None
    except InputError as exc:
        raise HttpError(400, str(exc)) from None
    except StoreError as exc:
        current_app.logger.error("query failed: %s", exc)
        raise HttpError(500, f"the store could not answer: {exc}") from None
    if truncated:
        what = "triples" if result.form == "graph" else "rows"
        raise HttpError(422, f"the result has more than {config.max_rows:,} {what}, this server's cap "
                             f"(--max-rows); nothing was cut: ask for fewer (LIMIT and OFFSET to page "
                             "through it, or a narrower query)")
    if result.form != kind:  # the first keyword misled the guess (e.g. a malformed prologue)
        fmt = _negotiate(result.form, formats)
    if result.form == "select":
        body = select_body(fmt, result.variables, items)
    elif result.form == "ask":
        body = ask_body(fmt, bool(result))
    else:
        body = graph_body(fmt, items)
    response = Response(body, status=200, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    if next_offset is not None:
        args = request.args.to_dict(flat=False) | {"offset": [str(next_offset)]}
        response.headers["X-Next-Offset"] = str(next_offset)
        response.headers["Link"] = f'<{request.base_url}?{urlencode(args, doseq=True)}>; rel="next"'
    return response


# -- SPARQL Update (opt-in) -------------------------------------------------------------------

_UPDATE_SCRIPT = """
import json, sys
from pathlib import Path
from esgkg.errors import EsgkgError, InputError
from esgkg.store.builds import apply_update
req = json.load(sys.stdin)
try:
    target = apply_update(Path(req["root"]), req["update"], prefixes=req["prefixes"], wait=req["wait"],
                          on_wait=lambda _message: None)
except EsgkgError as exc:
    json.dump({"error": "input" if isinstance(exc, InputError) else "store", "message": str(exc)}, sys.stdout)
    sys.exit(2)
json.dump({"build": target.name}, sys.stdout)
"""


def _update(text: str) -> Response:
    """Apply an authorised SPARQL Update as a new build of the store (see ``apply_update``)."""
    config = _config()
    if not config.update_token:
        raise HttpError(403, READ_ONLY)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                             config.update_token.encode()):
        raise HttpError(401, "a SPARQL Update needs the header `Authorization: Bearer <token>` with the "
                             "operator's update token" + (" (the token given is wrong)" if token else ""),
                        {"WWW-Authenticate": 'Bearer realm="esgkg SPARQL Update"'})
    for name in ("using-graph-uri", "using-named-graph-uri"):
        if name in request.values:
            raise HttpError(400, f"{name} is not supported: name the graphs in the update (USING, GRAPH)")
    if not text.strip():
        raise HttpError(400, "the update is empty")
    if is_remote(config.store):
        raise HttpError(501, "this endpoint serves a remote store: send SPARQL Update to that engine's "
                             "own update endpoint (esgkg writes a remote store only by `esgkg build`)")
    if not config.allow_service:
        if uses_service(text):
            raise HttpError(403, SERVICE_REFUSED)
        if "LOAD" in keywords(text):
            raise HttpError(403, LOAD_REFUSED)
    request_data = {"root": str(config.store), "update": text, "wait": config.timeout,
                    "prefixes": {p: str(ns) for p, ns in PREFIXES.items()}}
    limit = 2 * config.timeout + 15  # waiting for the lock, the update, and a process's start and copy
    try:
        done = subprocess.run([sys.executable, "-c", _UPDATE_SCRIPT], input=json.dumps(request_data),
                              capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        raise HttpError(503, f"the update was stopped after {limit:g} s (waiting for another build, or "
                             "running); nothing was changed") from None
    try:
        answer = json.loads(done.stdout or "null")
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or done.returncode not in (0, 2):
        current_app.logger.error("update process failed (exit %s): %s", done.returncode, done.stderr[-2000:])
        raise HttpError(500, f"the update could not be applied (its process exited with {done.returncode}); "
                             "nothing was changed")
    if "error" in answer:
        status = 400 if answer["error"] == "input" else 503
        raise HttpError(status, answer["message"] + "; nothing was changed")
    message = (f"update applied as build {answer['build']} of the store; the next `esgkg build` rebuilds "
               "the store from data/ and drops it")
    return _ok_message(message, build=answer["build"])


def _ok_message(message: str, **extra: Any) -> Response:
    from .errors import prefers_json

    if prefers_json():
        return Response(json.dumps({"status": 200, "message": message, **extra}) + "\n", status=200,
                        content_type="application/json; charset=utf-8")
    return Response(message + "\n", status=200, content_type="text/plain; charset=utf-8")


# -- the service description ------------------------------------------------------------------


def _service_description() -> Response:
    """The SPARQL 1.1 Service Description of this endpoint; a browser is sent to the query page."""
    formats = request.values.getlist("format")
    if not formats and request.accept_mimetypes.best_match(
            ["text/turtle", "application/n-triples", "application/ld+json", "text/html"]) == "text/html":
        return redirect(request.script_root + "/query", code=303)
    fmt = _negotiate("graph", formats)
    kg = _holder().get()
    config = _config()
    endpoint = ox.NamedNode(request.base_url)
    service, dataset, default = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    a = ox.NamedNode(RDF_TYPE)
    triples = [
        ox.Triple(service, a, sd("Service")),
        ox.Triple(service, sd("endpoint"), endpoint),
        ox.Triple(service, ox.NamedNode(DCTERMS + "title"), ox.Literal("esgkg SPARQL endpoint")),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, a, sd("Graph")),
    ]
    if config.update_token:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                 "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name)))
    counts = ((read_marker(kg.store.path) or {}).get("graphs", {}) if kg.store.path is not None
              else kg.store.count_per_graph())
    xsd_integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    triples.append(ox.Triple(default, ox.NamedNode(VOID_TRIPLES),
                             ox.Literal(str(sum(counts.values())), datatype=xsd_integer)))
    for iri in kg.store.graphs():
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [ox.Triple(dataset, sd("namedGraph"), named), ox.Triple(named, a, sd("NamedGraph")),
                    ox.Triple(named, sd("name"), ox.NamedNode(iri)), ox.Triple(named, sd("graph"), graph),
                    ox.Triple(graph, a, sd("Graph"))]
        if iri in counts:
            triples.append(ox.Triple(graph, ox.NamedNode(VOID_TRIPLES),
                                     ox.Literal(str(counts[iri]), datatype=xsd_integer)))
    body = graph_body(fmt, triples, {"sd": SD, "formats": FORMATS_NS, "void": VOID_TRIPLES[:-len("triples")]})
    response = Response(body, status=200, content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


# -- the named queries ------------------------------------------------------------------------


@blueprint.route("/api/queries")
def list_queries() -> Response:
    """The named queries with their parameters, and the reports in the store."""
    kg = _holder().get()
    queries = _catalogue(kg)
    out = []
    for q in queries.values():
        params = [{"name": p.name, "type": p.type,
                   "default": "" if p.default == OPTIONAL else p.default, "doc": p.doc,
                   "scheme": p.type[5:-1] if p.type.startswith("code(") else None,
                   "optional": p.default == OPTIONAL} for p in q.params]
        out.append({"name": q.name, "title": q.title, "description": q.description, "params": params})
    return jsonify({"queries": out, "reports": kg.reports()})


def _catalogue(kg) -> dict:
    try:
        return kg.queries
    except InputError as exc:
        raise HttpError(404, f"this server has no named queries: {exc}") from None


@blueprint.route("/api/queries/<name>", methods=["GET", "POST"])
def named_query(name: str) -> Response:
    """Run a named query with its parameters (``?param=value``), over one report's graph with ``report=``."""
    config = _config()
    kg = _holder().get()
    queries = _catalogue(kg)
    if name not in queries:
        near = closest(name, list(queries), n=3)
        hint = f"; the closest: {', '.join(near)}" if near else ""
        raise HttpError(404, f"no query named {name!r}{hint} (GET /api/queries lists them)")
    named = queries[name]
    declared = {p.name for p in named.params}
    values: dict[str, str] = {}
    for key in request.values:
        if key in RESERVED and key not in declared:
            continue
        value = _single(key)
        if value is not None:
            values[key] = value
    report = _single("report") if "report" not in declared else None
    formats = request.values.getlist("format") if "format" not in declared else []
    kind = _form(named.text)
    fmt = _negotiate(kind, formats)
    paged = name in SEARCHABLE
    limit, offset = config.max_rows, None
    if paged:
        try:
            asked, offset = page_bounds(*(_single(k) if k not in declared else None
                                          for k in ("limit", "offset")))
        except InputError as exc:
            raise HttpError(400, str(exc)) from None
        limit = min(DEFAULT_LIMIT if asked is None else asked, config.max_rows)
    else:
        for key in ("limit", "offset"):
            if key not in declared and _single(key) is not None:
                raise HttpError(400, f"{key} pages {PAGED}; query {name} returns all "
                                     f"its rows (up to this server's cap of {config.max_rows:,})")
    # the same stage as the CLI and the API: find, find-figure and data-quality-notes from the
    # search index, the others from the SPARQL store
    return _answer(lambda: kg.stream_named(name, values, report=report, timeout=config.timeout, limit=limit,
                                           offset=offset, allow_service=config.allow_service),
                   kind, fmt, formats, paged=paged)


# -- the code lists ---------------------------------------------------------------------------

_LABELS = """SELECT ?c (SAMPLE(?l) AS ?label) WHERE {
  ?c skos:inScheme ?scheme .
  OPTIONAL { ?c skos:prefLabel ?l FILTER(LANGMATCHES(LANG(?l), "en")) }
} GROUP BY ?c"""
_SCHEMES = "SELECT DISTINCT ?s WHERE { ?c skos:inScheme ?s }"


@blueprint.route("/api/codes/<scheme>")
def codes(scheme: str) -> Response:
    """The codes of one vocabulary with their English labels, sorted by code."""
    holder = _holder()
    kg = holder.get()
    cache = current_app.extensions.setdefault("esgkg.codes", {})  # per build: (generation, scheme) -> codes
    key = (holder.generation, scheme)
    if key not in cache:
        try:
            base = str(ids.scheme(scheme))
        except InputError:
            base = None
        rows = []
        if base is not None:
            _, rows = kg.store.select(_LABELS, bindings={"scheme": ox.NamedNode(base)},
                                      timeout=_config().timeout)
        found = sorted(({"code": r["c"].value[len(f"{base}/"):],
                         "label": r["label"].value if r["label"] else None}
                        for r in rows if r["c"].value.startswith(f"{base}/")), key=lambda c: c["code"])
        if not found:
            raise HttpError(404, f"no vocabulary {scheme!r} in the store; the vocabularies: "
                                 f"{', '.join(_schemes(kg))}")
        if len(cache) > 256:
            cache.clear()
        cache[key] = found
    return jsonify({"scheme": scheme, "codes": cache[key]})


def _schemes(kg) -> list[str]:
    _, rows = kg.store.select(_SCHEMES, timeout=_config().timeout)
    base = str(VOCAB)
    return sorted(r["s"].value[len(base):] for r in rows
                  if r["s"].value.startswith(base) and "/" not in r["s"].value[len(base):])

