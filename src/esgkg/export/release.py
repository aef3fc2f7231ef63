"""A versioned release: every export format, the description, the validation report, checksums.

``release(store, out_dir, version)`` writes into ``out_dir`` (which must be empty or absent):

| file | what |
|---|---|
| ``esgkg.trig``, ``esgkg.nq`` | every named graph, plus ``graph/reconciled/<report>`` |
| ``esgkg.ttl``, ``esgkg.nt`` | the same triples as one graph (their union) |
| ``esgkg.jsonld``, ``context.jsonld`` | the report graphs as framed JSON-LD (context inline and beside) |
| ``observations.csv``, ``observations.csv-metadata.json`` | every observation, with CSVW metadata |
| ``validation.ttl`` | SHACL validation report of every report graph (``sh:conforms false`` on any result) |
| ``description.ttl`` | DCAT 3 + VoID: licence, sources, distributions (size, SHA-256), triples per graph |
| ``LICENSE`` | the data licence |
| ``SHA256SUMS`` | ``sha256sum -c`` format, every other file |

The same store, version and date give byte-identical files: nothing reads the clock, every order is
sorted, and the few blank nodes (the ontology's component specifications, the validation results)
get canonical labels.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF

from ..errors import InputError
from ..namespaces import SH, bind_prefixes
from ..store import EmbeddedStore
from . import csvw, describe, jsonld
from .common import DATA_LICENSE, DATA_LICENSE_NAME, comment_header, sources
from .formats import FORMATS, select_graphs, serialise

Progress = Callable[[str], None]
PARTS = ("rdf", "jsonld", "csv", "validation")
LICENSE_TEXT = f"""Data licence: {DATA_LICENSE_NAME}
{DATA_LICENSE}

The data in this release (every file but the code) are facts extracted by the esgkg project from
public ESG reports: names, figures, units, pages and the curators' own notes. They are licensed
under the Creative Commons Attribution 4.0 International licence. When you use them, attribute
"esgkg" and the source reports' publishers, named with each report in description.ttl and in the
header of every file. The reports' own text is not reproduced; their copyright stays with their
publishers. The figures are recorded as printed, errors included: see the notes and validation.ttl.
"""


def validation_report(store: EmbeddedStore, shapes_dir: Path) -> Graph:
    """One SHACL validation report for every report graph; ``sh:conforms`` is false whenever there is
    any result (the SHACL spec), whatever its severity."""
    from ..validate import validate

    merged = Graph()
    bind_prefixes(merged)
    node = URIRef("https://w3id.org/esgkg/validation")
    merged.add((node, RDF.type, SH.ValidationReport))
    results = 0
    for rv in validate(store, shapes_dir):
        g = rv.results_graph or Graph()
        for report_node in set(g.subjects(RDF.type, SH.ValidationReport)):
            for result in g.objects(report_node, SH.result):
                merged.add((node, SH.result, result))
                results += 1
            g.remove((report_node, None, None))
        merged += g
    merged.add((node, SH.conforms, Literal(results == 0)))
    canonical = Graph()
    bind_prefixes(canonical)
    for triple in to_canonical_graph(merged):
        canonical.add(triple)
    return canonical


def release(store: EmbeddedStore, out_dir: Path, version: str, shapes_dir: Path | None = None,
            issued: date | None = None, parts: tuple[str, ...] = PARTS,
            progress: Progress | None = None) -> list[Path]:
    """Write the release into ``out_dir``; return the files written (SHA256SUMS last).

    ``shapes_dir`` is needed for the validation report (part ``validation``); ``parts`` chooses
    among rdf, jsonld, csv, validation (the description, LICENSE and SHA256SUMS are always written).
    """
    say = progress or (lambda _msg: None)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise InputError(f"unknown release part(s) {', '.join(sorted(unknown))} (parts: {', '.join(PARTS)})")
    if not version or any(c in version for c in "/\\ \n"):
        raise InputError(f"release version {version!r} must be a non-empty name without slashes or spaces")
    if "validation" in parts and shapes_dir is None:
        raise InputError("the validation report needs the shapes folder (shapes_dir)")
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(f"{out_dir} exists and is not an empty folder: a release goes into a new folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    srcs = sources(store)
    # name -> (bytes, media type, title, conformsTo)
    files: dict[str, tuple[bytes, str, str, tuple[str, ...]]] = {}
    say("loading the graphs and reconciling")
    graphs = select_graphs(store, reconciled=True)
    triples = {iri: len(g) for iri, g in graphs.items()}
    if "rdf" in parts:
        titles = {"trig": "every named graph (one per report, plus reconciled data sets), TriG",
                  "nquads": "every named graph, N-Quads (lines sorted)",
                  "turtle": "the union of every graph, Turtle",
                  "ntriples": "the union of every graph, N-Triples (lines sorted)"}
        for fmt, (ext, media) in FORMATS.items():
            say(f"writing esgkg.{ext}")
            header = comment_header(f"release ({fmt}), all graphs", srcs, version)
            files[f"esgkg.{ext}"] = (header + serialise(graphs, fmt), media, titles[fmt],
                                     (describe.DATA_CUBE_REC,) if fmt in ("trig", "nquads") else ())
    if "jsonld" in parts:
        say("writing esgkg.jsonld")
        files["esgkg.jsonld"] = (jsonld.jsonld_bytes(jsonld.report_union(graphs)), "application/ld+json",
                                 "the report graphs as framed JSON-LD (context inline)", ())
        files["context.jsonld"] = ((json.dumps(jsonld.shipped_context(), indent=2, ensure_ascii=False)
                                    + "\n").encode("utf-8"), "application/ld+json",
                                   "the JSON-LD context of esgkg.jsonld", ())
    if "csv" in parts:
        say("writing observations.csv")
        import io

        buf = io.BytesIO()
        csvw.write_csv(store, buf)
        files["observations.csv"] = (buf.getvalue(), "text/csv", "every observation as printed, one row each",
                                     (str(describe.CSVW_REC),))
        meta = io.BytesIO()
        csvw.write_metadata(store, meta, "observations.csv", version)
        files["observations.csv-metadata.json"] = (meta.getvalue(), "application/csvm+json",
                                                   "CSVW metadata of observations.csv",
                                                   (str(describe.CSVW_REC),))
    if "validation" in parts:
        say("validating")
        report = validation_report(store, shapes_dir)
        files["validation.ttl"] = (comment_header("SHACL validation report", srcs, version)
                                   + report.serialize(format="turtle", encoding="utf-8"), "text/turtle",
                                   "SHACL validation report of every report graph", ("http://www.w3.org/ns/shacl#",))
    files["LICENSE"] = (LICENSE_TEXT.encode("utf-8"), "text/plain", "the data licence", ())
    distributions = [
        describe.Distribution(name, media, len(data), hashlib.sha256(data).hexdigest(), title,
                              tuple(map(str, conf)))
        for name, (data, media, title, conf) in sorted(files.items())
    ]
    say("writing description.ttl")
    import io

    desc = io.BytesIO()
    describe.write_description(store, desc, version, distributions, triples, issued)
    files["description.ttl"] = (desc.getvalue(), "text/turtle", "", ())
    written = []
    for name, (data, *_rest) in sorted(files.items()):
        (out_dir / name).write_bytes(data)
        written.append(out_dir / name)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                   for name, (data, *_r) in sorted(files.items()))
    (out_dir / "SHA256SUMS").write_text(sums, encoding="utf-8")
    written.append(out_dir / "SHA256SUMS")
    return written
