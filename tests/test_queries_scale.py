"""A thing that several report graphs describe comes back once, with the pages of each report.

Organisations and sites are minted per issuer (data/FORMAT.md), so a company's next report
describes the same IRIs as its last: here each shipped report is copied as the next year's
(`calb-2024`, `seres-2024`, only the key changed) and a few pages are changed in the copy, so that
the merged rows must carry the pages of both reports. No timing: the scale numbers are in
bench/README.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from esgkg.api import KnowledgeGraph
from esgkg.project import Project
from esgkg.query import catalogue
from esgkg.store import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]

# (report, file, text in the 2023 report, the same item's text in the copy)
NEXT_YEAR_PAGES = [
    # CALB p10, p54, p66: Changzhou Base; the copy also names it on p3
    ("calb", "entities.yaml", "name: Changzhou Base\n    operator: calb\n    city: Changzhou\n"
     "    province: Jiangsu\n    country: CN\n    status: in-operation\n    pages: [10, 54, 66]\n",
     "name: Changzhou Base\n    operator: calb\n    city: Changzhou\n"
     "    province: Jiangsu\n    country: CN\n    status: in-operation\n    pages: [3, 10, 54, 66]\n"),
    # CALB p94 (line 1903): member of the China Society of Automotive Engineers; the copy: p93
    ("calb", "entities.yaml", '"China Society of Automotive Engineers"\n    member: calb\n'
     '    role: "Member Organization"\n    pages: [94]\n',
     '"China Society of Automotive Engineers"\n    member: calb\n'
     '    role: "Member Organization"\n    pages: [93]\n'),
    # Seres p1, p54: Hubei Seres, a subsidiary; the copy also names it on p2
    ("seres", "entities.yaml",
     'former_names: ["Dongfeng Sokon Motor Co., Ltd."]\n    parent: seres\n    pages: [1, 54]\n',
     'former_names: ["Dongfeng Sokon Motor Co., Ltd."]\n    parent: seres\n    pages: [1, 2, 54]\n'),
]


def pages(row: dict) -> set[str]:
    return set(row["pages"].split(", ")) if row["pages"] else set()


@pytest.fixture(scope="module")
def shipped(built_store, project) -> KnowledgeGraph:
    return KnowledgeGraph(built_store, project)


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory, shipped: KnowledgeGraph) -> KnowledgeGraph:
    """The shipped reports plus a copy of each as the next year's report of the same issuer.

    Built by `esgkg build` in a child process (after the shipped store, which the comparisons
    need anyway), so that no build forks this process while it holds an open store."""
    root = tmp_path_factory.mktemp("two-years")
    for part in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / part, root / part)
    shutil.copytree(ROOT / "data", root / "data")
    for issuer in ("calb", "seres"):
        old, new = f"{issuer}-2023", f"{issuer}-2024"
        copy = root / "data" / new
        shutil.copytree(ROOT / "data" / old, copy)
        entities = copy / "entities.yaml"
        text = entities.read_text(encoding="utf-8")
        assert f"  key: {old}\n" in text
        entities.write_text(text.replace(f"  key: {old}\n", f"  key: {new}\n", 1), encoding="utf-8")
        for path in copy.glob("*.ttl"):
            path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    for issuer, name, before, after in NEXT_YEAR_PAGES:
        path = root / "data" / f"{issuer}-2024" / name
        text = path.read_text(encoding="utf-8")
        assert text.count(before) == 1, (name, before)
        path.write_text(text.replace(before, after), encoding="utf-8")
    project = Project(root)
    store = root / "store"
    env = {**os.environ, "ESGKG_PROJECT": str(root), "ESGKG_STORE": str(store)}
    done = subprocess.run([sys.executable, "-m", "esgkg.cli", "build", "--store", str(store)], env=env,
                          cwd=root, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    return KnowledgeGraph(EmbeddedStore(store), project)


def test_the_copies_are_separate_report_graphs(two_years):
    assert sorted(two_years.reports()) == ["calb-2023", "calb-2024", "seres-2023", "seres-2024"]


def test_a_site_two_reports_describe_is_one_row_with_the_pages_of_both(two_years, shipped):
    rows = [r for r in two_years.query("sites") if r["company"] == "CALB"]
    names = [r["siteName"] for r in rows]
    assert len(names) == len(set(names))  # each site once
    assert sorted(names) == sorted(r["siteName"] for r in shipped.query("sites") if r["company"] == "CALB")
    [changzhou] = [r for r in rows if r["siteName"] == "Changzhou Base"]
    assert pages(changzhou) == {"3", "10", "54", "66"}  # 2023: 10, 54, 66; 2024 also 3


def test_a_membership_two_reports_record_is_one_row_with_the_pages_of_both(two_years):
    rows = two_years.query("memberships").rows
    keys = [(r["company"], r["association"], r["role"]) for r in rows]
    assert len(keys) == len(set(keys))
    [csae] = [r for r in rows if r["association"] == "China Society of Automotive Engineers"]
    assert (csae["company"], csae["role"]) == ("CALB", "Member Organization")
    assert pages(csae) == {"93", "94"}  # p94 in the 2023 report, p93 in the copy


def test_a_subsidiary_two_reports_name_is_one_row_with_the_pages_of_both(two_years):
    rows = two_years.query("subsidiaries").rows
    subs = [r["subsidiary"] for r in rows]
    assert len(subs) == len(set(subs))
    [hubei] = [r for r in rows if r["subsidiary"] == "Seres Automobile (Hubei) Co., Ltd."]
    assert set(hubei["shortNames"].split("; ")) == {"Hubei Seres", "Seres Automobile(Hubei)"}
    assert hubei["formerNames"] == "Dongfeng Sokon Motor Co., Ltd."
    assert pages(hubei) == {"1", "2", "54"}


def test_every_query_without_a_report_column_gives_the_shipped_rows_once(two_years, shipped, project):
    """A copied report adds pages at most, never a row: every named query that does not answer
    per report returns the shipped data's rows (pages aside), each once."""
    for name in catalogue(project.queries_dir):
        if name in ("find", "find-figure"):
            continue  # the search index: tests/test_search.py
        new = two_years.query(name)
        if "report" in new.columns:
            continue
        old = shipped.query(name)
        strip = [c for c in new.columns if c != "pages"]
        new_rows = [tuple(str(r[c]) for c in strip) for r in new.rows]
        old_rows = [tuple(str(r[c]) for c in strip) for r in old.rows]
        assert len(new_rows) == len(set(new_rows)), f"{name}: a row comes back twice"
        assert sorted(new_rows) == sorted(old_rows), name
