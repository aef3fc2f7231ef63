"""Issue 15, part B (shapes/printed.ttl): printed strings that do not match what they claim, and
duplicates inside one list, as found on the shipped reports. Expected values are the reports'
(page and line of ../shared/reports/<report>.txt beside each)."""

from __future__ import annotations

import shutil

import pytest
from rdflib import Graph

from esgkg.errors import InputError
from esgkg.sources.vocab import load_vocabularies
from esgkg.units import load_unit_table

ID = "https://w3id.org/esgkg/id/"



def test_misprinted_standard_number(shipped_validation, findings_of):
    # Seres p17, line 611: ISO/IEC 27701 printed as "ISO 277001" (ISO 27701 on line 615)
    assert findings_of("StandardPrintedAsItsNotationShape") == {
        ("seres-2023", ID + "certification/seres-2023/seres-iso-iec-27701-certified", "Warning"),
    }
    [f] = [f for f in shipped_validation["seres-2023"].findings
           if f.shape.endswith("StandardPrintedAsItsNotationShape")]
    assert "ISO 277001" in f.message and "27701" in f.message and "17" in f.message


def test_units_printed_unreadably(shipped_validation, findings_of):
    # CALB p85, line 1653: safety expenditure in "RMB100,0000" (2022 and 2023 columns);
    # CALB p87, line 1701: supplier due-diligence frequency in "Year/times" (2022 and 2023)
    freq = "calb-2023/supplier-infosec-due-diligence-frequency"
    assert findings_of("UnitPrintedReadablyShape") == {
        ("calb-2023", "calb-2023/safety-expenditure/2022/total/calb/line-1653", "Warning"),
        ("calb-2023", "calb-2023/safety-expenditure/2023/total/calb/line-1653", "Warning"),
        ("calb-2023", f"{freq}/2022/total/calb/line-1701", "Warning"),
        ("calb-2023", f"{freq}/2023/total/calb/line-1701", "Warning"),
    }


def test_unit_status_column(project):
    table = load_unit_table(project.root / "ontology" / "vocab" / "units.csv")
    flagged = {u.printed: u.status for u in table if u.status != "ok"}
    assert flagged == {"RMB100,0000": "unreadable", "Year/times": "misprint"}


def test_unit_status_in_the_vocabulary(built_store):
    _, rows = built_store.select(
        "SELECT ?l WHERE { GRAPH ?g { ?u esgkg:unitStatus"
        " <https://w3id.org/esgkg/vocab/unit-status/misprint> ; skos:prefLabel ?l } }"
    )
    assert [r["l"].value for r in rows] == ["Year/times"]


def test_duplicate_material_issue_names(shipped_validation, findings_of):
    # Seres p7, lines 275-276: low-importance issues 17 and 18 repeat issues 11 and 12 (lines 266-267)
    assert findings_of("DuplicateNameInListShape") == {
        ("seres-2023", ID + "material-issue/seres-2023/mi-corporate-governance-low", "Warning"),
        ("seres-2023", ID + "material-issue/seres-2023/mi-compliance-risk-management-low", "Warning"),
    }


def test_the_shapes_file_declares_labels(project):
    g = Graph().parse(project.shapes_dir / "printed.ttl")
    shapes = {str(s).rsplit("#", 1)[-1] for s in g.subjects()
              if str(s).startswith("https://w3id.org/esgkg/shapes/printed#")}
    assert shapes == {"StandardPrintedAsItsNotationShape", "UnitPrintedReadablyShape",
                      "DuplicateNameInListShape"}


def test_an_unknown_unit_status_is_refused(project, tmp_path):
    vocab = tmp_path / "vocab"
    shutil.copytree(project.root / "ontology" / "vocab", vocab)
    units = vocab / "units.csv"
    units.write_text(units.read_text().replace(",,,misprint\n", ",,,misprinted\n"))
    with pytest.raises(InputError, match="unknown unit-status code 'misprinted'"):
        load_vocabularies(vocab)
