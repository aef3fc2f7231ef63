"""Stable IRIs: reordering the sources or correcting an estimated page renames nothing.

The data is shuffled (the rows of every observations and vocabulary CSV, the items of every list
section of every entity file) and one observation whose page was only estimated is moved to the
next page. Every IRI of the original graph must still name the same description afterwards; the
corrected observation keeps its IRI and only its page link changes.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections import defaultdict
from pathlib import Path

import yaml
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import PROV

from esgkg import ids
from esgkg.build import compile_dataset


def _descriptions(graph: Graph) -> dict[URIRef, set]:
    out: dict[URIRef, set] = defaultdict(set)
    for s, p, o in graph:
        if not isinstance(s, BNode):
            out[s].add((p, o))
    return out


def _shuffle_csv(path: Path, rng: random.Random) -> None:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    rng.shuffle(body)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *body])
    path.write_text(buf.getvalue(), encoding="utf-8")


def _shuffle_yaml(path: Path, rng: random.Random) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for value in data.values():
        if isinstance(value, list):
            rng.shuffle(value)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _correct_an_estimated_page(folder: Path) -> tuple[str, int, int]:
    """Move the first observation whose note says its page is estimated to the next page."""
    for path in sorted(folder.glob("observations*.csv")):
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        for row in rows:
            if "estimated" in row["note"].lower() and row["source"]:
                old = int(row["page"])
                row["page"] = str(old + 1)
                buf = io.StringIO()
                writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
                path.write_text(buf.getvalue(), encoding="utf-8")
                return row["source"], old, old + 1
    raise AssertionError(f"no observation with an estimated page in {folder}")


def test_shuffled_sources_and_a_corrected_page_rename_nothing(project, project_copy):
    before = compile_dataset(project)
    rng = random.Random(20261201)
    for path in sorted(project_copy.vocab_dir.glob("*.csv")):
        _shuffle_csv(path, rng)
    for folder in project_copy.report_dirs():
        for path in sorted(folder.glob("observations*.csv")):
            _shuffle_csv(path, rng)
        for path in sorted(folder.glob("entities*.yaml")):
            _shuffle_yaml(path, rng)
    source, old_page, new_page = _correct_an_estimated_page(project_copy.data_dir / "calb-2023")
    after = compile_dataset(project_copy)

    assert set(before) == set(after)
    moved = []
    for graph in before:
        if graph == ids.ONTOLOGY_GRAPH:
            continue  # not shuffled (hand-written Turtle)
        old, new = _descriptions(before[graph]), _descriptions(after[graph])
        assert set(old) <= set(new), f"IRIs gone from <{graph}>: {sorted(set(old) - set(new))[:5]}"
        for subject, description in old.items():
            if description != new[subject]:
                moved.append((subject, description ^ new[subject]))
    # only the corrected observation changed, and only in its page link
    [(subject, changed)] = moved
    assert str(subject).endswith("/" + ids.slugify(source))
    page = ids.report_page
    assert changed == {(PROV.wasDerivedFrom, page("calb-2023", old_page)),
                       (PROV.wasDerivedFrom, page("calb-2023", new_page))}


def test_the_readme_example_iris_exist(built_store):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    examples = set(re.findall(r"`(id/[a-z0-9][a-z0-9/.-]*[a-z0-9])[`:]", readme))
    assert "id/obs/calb-2023/ghg-scope1/2023/total/calb/line-1559" in examples  # CALB p82, line 1559
    for path in sorted(examples):
        iri = ids.ID[path.removeprefix("id/")]
        _names, rows = built_store.select(f"SELECT ?p WHERE {{ <{iri}> ?p ?o }} LIMIT 1")
        assert rows, f"the README's example IRI {path} is not in the graph"
