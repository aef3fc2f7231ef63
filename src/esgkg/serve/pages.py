"""HTML pages: linked-data pages at the entity IRIs, the query page, company and validation pages.

``https://w3id.org/esgkg/<path>`` is served at ``/<path>`` (``/id/...``, ``/vocab/...``,
``/ontology``, ``/graph/...``) with direct content negotiation at the same URL (``Vary:
Accept``, ``Link`` headers naming the alternates, ``?format=html|ttl|jsonld|nt`` to override):
HTML for people, Turtle, JSON-LD or N-Triples for machines (LINKED-DATA.md says why). Every
query goes through the store's one query path with the server's time limit and row cap.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import EsgkgError, InputError, StoreError
from ..namespaces import BASE, ONTOLOGY_IRI, PREFIXES
from ..store.execute import QueryTimeout
from . import charts
from .describe import Describer, TooLarge, compact, iri_for_path, safe_href

blueprint = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")

MEDIA_TYPES = {"html": "text/html", "ttl": "text/turtle", "jsonld": "application/ld+json",
               "nt": "application/n-triples"}
RDF_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES}
_ACCEPTED = ["text/html", "application/xhtml+xml", "text/turtle", "application/ld+json",
             "application/n-triples", "application/json", "application/x-turtle"]
_BY_MEDIA = {"text/html": "html", "application/xhtml+xml": "html", "text/turtle": "ttl",
             "application/x-turtle": "ttl", "application/ld+json": "jsonld", "application/json": "jsonld",
             "application/n-triples": "nt"}
REPORT_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")
QUERY_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")


class NotAcceptable(EsgkgError):
    """The client accepts none of the formats an entity is served in (406)."""


# --- plumbing ------------------------------------------------------------------------------

def _holder():
    return current_app.extensions["esgkg"]


def _describer() -> Describer:
    holder = _holder()
    return Describer(holder.get(), holder.config.timeout, holder.config.max_rows)


def _error_page(status: int, title: str, message: str) -> Response:
    if _wants_html():
        body = render_template("error.html", status=status, title=title, message=message)
        return Response(body, status=status, mimetype="text/html")
    return Response(f"{status} {title}: {message}\n", status=status, mimetype="text/plain")


def _wants_html() -> bool:
    fmt = request.args.get("format")
    if fmt:
        return fmt == "html"
    accept = request.accept_mimetypes
    return not accept or accept.best_match(_ACCEPTED) in ("text/html", "application/xhtml+xml", None)


@blueprint.errorhandler(TooLarge)
def _too_large(exc: TooLarge):
    return _error_page(422, "Too large", str(exc))


@blueprint.errorhandler(QueryTimeout)
def _timeout(exc: QueryTimeout):
    return _error_page(503, "Time limit", str(exc))


@blueprint.errorhandler(NotAcceptable)
def _not_acceptable(exc: NotAcceptable):
    return _error_page(406, "Not acceptable", str(exc))


@blueprint.errorhandler(InputError)
def _bad_input(exc: InputError):
    return _error_page(400, "Bad request", str(exc))


@blueprint.errorhandler(StoreError)
def _store_error(exc: StoreError):
    return _error_page(503, "Store unavailable", str(exc))


@blueprint.errorhandler(404)
def _not_found(exc: HTTPException):
    return _error_page(404, "Not found", exc.description or "nothing here")


@blueprint.context_processor
def _context() -> dict[str, Any]:
    return {"charts": charts}


@blueprint.app_template_filter("href")
def _href_filter(iri: str) -> str:
    return safe_href(iri)


@blueprint.app_template_filter("compact")
def _compact_filter(iri: str) -> str:
    return compact(iri)


@blueprint.app_template_filter("pages")
def _pages_filter(pages: list[int]) -> str:
    return charts.pages_text(list(pages))


# --- home ----------------------------------------------------------------------------------

@dataclass
class ReportInfo:
    key: str
    iri: str
    title: str
    year: str
    company: str
    company_label: str


def _reports(describer: Describer) -> list[ReportInfo]:
    rows = describer.select(
        """SELECT ?r ?title ?year ?company ?label WHERE {
             ?r a esgkg:ESGReport ; dcterms:publisher ?company .
             OPTIONAL { ?r dcterms:title ?title } OPTIONAL { ?r esgkg:reportingYear ?year }
             OPTIONAL { ?company skos:prefLabel ?label FILTER(LANG(?label) IN ("en", "")) } } ORDER BY ?r""")
    out: dict[str, ReportInfo] = {}
    for r in rows:
        iri = r["r"].value
        out.setdefault(iri, ReportInfo(
            iri.rsplit("/", 1)[-1], iri, r["title"].value if r["title"] else iri.rsplit("/", 1)[-1],
            r["year"].value if r["year"] else "", r["company"].value,
            r["label"].value if r["label"] else compact(r["company"].value)))
    return list(out.values())


@blueprint.route("/")
def home():
    describer = _describer()
    return render_template("home.html", reports=_reports(describer))


# --- entity pages --------------------------------------------------------------------------

def _negotiate() -> str:
    """html, ttl, jsonld or nt: ``?format=`` first, else the Accept header (HTML without one)."""
    fmt = request.args.get("format")
    if fmt is not None:
        if fmt not in MEDIA_TYPES:
            raise InputError(f"format must be one of {', '.join(MEDIA_TYPES)}, not {fmt!r}")
        return fmt
    accept = request.accept_mimetypes
    if not accept:
        return "html"
    best = accept.best_match(_ACCEPTED)
    if best is None:
        raise NotAcceptable("this resource is served as " + ", ".join(MEDIA_TYPES.values())
                            + " (or ?format=" + "|".join(MEDIA_TYPES) + ")")
    return _BY_MEDIA[best]


def _link_header(path: str) -> str:
    return ", ".join(f'<{path}?format={fmt}>; rel="alternate"; type="{media}"'
                     for fmt, media in MEDIA_TYPES.items())


@blueprint.route("/<any(id, vocab, graph, ontology):area>/<path:rest>")
@blueprint.route("/ontology", defaults={"area": "ontology", "rest": ""})
def entity(area: str, rest: str):
    """An entity IRI under the base: its page or its RDF description, negotiated."""
    path = f"{area}/{rest}" if rest else area
    iri = iri_for_path(path)  # 400 for a path no IRI may hold
    fmt = _negotiate()
    describer = _describer()
    headers = {"Vary": "Accept", "Link": _link_header("/" + path)}
    if fmt != "html":
        if not describer.exists(iri):
            response = _error_page(404, "Not found", f"the graph holds nothing about <{iri}>")
            response.headers.update(headers)
            return response
        triples = describer.triples(iri)
        body = ox.serialize(triples, format=RDF_FORMATS[fmt],
                            prefixes={p: str(ns) for p, ns in PREFIXES.items()} if fmt == "ttl" else None)
        mimetype = MEDIA_TYPES[fmt]
        headers["Content-Type"] = f"{mimetype}; charset=utf-8"
        headers["Content-Location"] = f"/{path}?format={fmt}"
        return Response(body, mimetype=mimetype, headers=headers)
    view = describer.view(iri)
    if view is None:
        response = Response(render_template("notfound.html", iri=iri), status=404, mimetype="text/html")
        response.headers.update(headers)
        return response
    terms = describer.ontology_terms() if iri == ONTOLOGY_IRI else []
    company = [_company_charts(describer, key) for key in view.publishes]
    body = render_template("entity.html", view=view, terms=terms, companies=company, path="/" + path,
                           formats=MEDIA_TYPES)
    return Response(body, mimetype="text/html", headers=headers)


# --- company pages -------------------------------------------------------------------------

_charts_cache: dict[tuple[int, int, str], charts.CompanyCharts] = {}
_charts_lock = threading.Lock()


def _company_charts(describer: Describer, key: str) -> charts.CompanyCharts:
    """The charts of one report, computed once per store generation."""
    holder = _holder()
    cache_key = (id(holder), holder.generation, key)
    with _charts_lock:
        cached = _charts_cache.get(cache_key)
    if cached is not None:
        return cached
    info = next((r for r in _reports(describer) if r.key == key), None)
    if info is None:
        abort(404, description=f"no report {key!r} in the graph")
    result = charts.gather(describer, key, info.iri, info.company, info.company_label, info.year)
    with _charts_lock:
        for old in [k for k in _charts_cache if k[:2] != cache_key[:2]]:
            del _charts_cache[old]
        _charts_cache[cache_key] = result
    return result


@blueprint.route("/company/<key>")
def company(key: str):
    if not REPORT_KEY.fullmatch(key):
        raise InputError("a report key is lower-case letters, digits and hyphens (e.g. calb-2023)")
    describer = _describer()
    data = _company_charts(describer, key)
    return render_template("company.html", c=data)


# --- validation ----------------------------------------------------------------------------

@dataclass
class ValidationJob:
    """One validation run of a store generation, in a separate process."""

    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    results: list[dict[str, Any]] | None = None
    error: str | None = None
    seconds: float = 0.0


_validation: dict[tuple[int, int], ValidationJob] = {}
_validation_lock = threading.Lock()
VALIDATION_WAIT = 2.0  # seconds a request waits for a running validation before the "running" page


def _validate_in_child(store_root: str, shapes_dir: str) -> list[dict[str, Any]]:
    """Run in a spawned process: validate every report of the store, as plain dicts."""
    from ..store import is_remote, open_store
    from ..validate import validate

    store = open_store(store_root if is_remote(store_root) else Path(store_root))
    try:
        return [{"report": r.report, "conforms": r.conforms, "findings": [asdict(f) for f in r.findings]}
                for r in validate(store, Path(shapes_dir))]
    finally:
        store.close()


def _run_validation(job: ValidationJob, store_root: Path, shapes_dir: Path) -> None:
    try:
        # spawn, not fork: the server is multi-threaded (a forked child could inherit a held lock)
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            job.results = pool.submit(_validate_in_child, str(store_root), str(shapes_dir)).result()
    except EsgkgError as exc:
        job.error = str(exc)
    except Exception as exc:  # a crashed child: say so on the page, retry at the next request
        job.error = f"validation failed: {type(exc).__name__}: {exc}"
    finally:
        job.seconds = time.monotonic() - job.started
        job.done.set()


def validation_job(holder) -> ValidationJob:
    """The validation of the holder's current store generation, started on first request."""
    holder.get()
    key = (id(holder), holder.generation)
    if holder.project is None:
        job = ValidationJob(error="validation needs the project folder (shapes/): start the server "
                                  "from the project")
        job.done.set()
        return job
    with _validation_lock:
        job = _validation.get(key)
        if job is not None and job.done.is_set() and job.error:
            job = None  # a failed run is shown once, then retried
        if job is None:
            for old in [k for k in _validation if k[0] == key[0] and k != key]:
                del _validation[old]
            job = _validation[key] = ValidationJob()
            args = (job, str(holder.config.store), holder.project.shapes_dir)
            threading.Thread(target=_run_validation, args=args, daemon=True, name="esgkg-validation").start()
    return job


@blueprint.route("/validation")
def validation():
    """Each report's SHACL findings, grouped by shape; computed once per store generation."""
    job = validation_job(_holder())
    job.done.wait(VALIDATION_WAIT)
    if not job.done.is_set():
        body = render_template("validation_running.html", elapsed=time.monotonic() - job.started)
        return Response(body, status=200, mimetype="text/html", headers={"Retry-After": "3",
                                                                          "Cache-Control": "no-store"})
    if job.error:
        return _error_page(503, "Validation failed", job.error)
    reports = []
    for r in job.results or []:
        groups: dict[str, dict[str, Any]] = {}
        for f in r["findings"]:
            g = groups.setdefault(f["shape"], {"shape": f["shape"], "label": f["shape_label"],
                                              "severity": f["severity"], "findings": []})
            g["findings"].append(f)
        counts = {s: sum(1 for f in r["findings"] if f["severity"] == s)
                  for s in ("Violation", "Warning", "Info")}
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        reports.append({"report": r["report"], "conforms": r["conforms"], "counts": counts,
                        "groups": sorted(groups.values(), key=lambda g: (order.get(g["severity"], 9),
                                                                         g["shape"]))})
    return render_template("validation.html", reports=reports, seconds=job.seconds)


# --- query page ----------------------------------------------------------------------------

@blueprint.route("/query")
def query_page():
    config = {"base": BASE, "prefixes": {p: str(ns) for p, ns in PREFIXES.items()}}
    return render_template("query.html", page_config=config)


@blueprint.route("/query/<name>.rq")
def query_text(name: str):
    """The text of a named query (what the query page shows in its editor)."""
    if not QUERY_NAME.fullmatch(name):
        raise InputError("a query name is lower-case letters, digits and hyphens")
    kg = _holder().get()
    try:
        queries = kg.queries
    except InputError:
        abort(404, description="the server has no project folder, so no named queries")
    if name not in queries:
        abort(404, description=f"no query named {name!r}")
    return Response(queries[name].text, mimetype="application/sparql-query",
                    headers={"Content-Type": "application/sparql-query; charset=utf-8"})

