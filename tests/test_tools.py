"""The curation aids in tools/ tell a curator the truth about the data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numbers_ignore_years_but_keep_figures():
    tool = _load("uncited_lines")
    assert tool.numbers("In 2023 the Company emitted 307,488.75 t") == ["307,488.75"]
    assert tool.numbers("from 2022 to 2023") == []


def test_cited_lines_come_from_observation_sources_and_entity_lines(tmp_path):
    tool = _load("uncited_lines")
    (tmp_path / "observations-x.csv").write_text(
        "indicator,entity,period,breakdown,value,unit,page,boundary,restated,source,note\n"
        "x,,2023,,1,t,5,,,line 12,\n")
    (tmp_path / "entities-x.yaml").write_text("sites:\n  - key: a\n    lines: [7, 9]\n")
    assert tool.cited_lines(tmp_path) == {7, 9, 12}


def test_the_shipped_data_cites_the_annex_rows(project):
    tool = _load("uncited_lines")
    cited = tool.cited_lines(project.data_dir / "calb-2023")
    assert {1559, 1560, 1561} <= cited  # CALB p82: scope 1, scope 2 and their total
