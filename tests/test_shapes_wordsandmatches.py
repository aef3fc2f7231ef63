"""Issue 15, two agreement checks: a figure printed under two indicators that measure the same
thing (skos:exactMatch, OneValuePerFigureShape), and a figure stated in words as zero against a
non-zero count of the same family (skos:broader, WordsAgainstCountShape). Expected values are the
reports' (page and line of ../shared/reports/<report>.txt beside each)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from esgkg import ids
from esgkg.errors import DataErrors, InputError
from esgkg.namespaces import ESGKG
from esgkg.validate import load_shapes, validate_graph

ID = "https://w3id.org/esgkg/id/"
FIXTURES = Path(__file__).parent / "fixtures"


def _fixture(path: Path) -> Graph:
    """The valid fixture graph plus the triples of ``path`` (these fixtures remove nothing)."""
    data = Graph().parse(FIXTURES / "valid" / "report.ttl", format="turtle")
    return data.parse(path, format="turtle")


@pytest.fixture(scope="module")
def shapes(project) -> Graph:
    return load_shapes(project.shapes_dir)



def test_a_figure_under_an_exactly_matching_indicator_is_compared(shapes, context):
    data = _fixture(FIXTURES / "invalid" / "figure-under-two-matching-indicators.ttl")
    [finding] = validate_graph("fx-2023", data, context, shapes).findings
    assert finding.shape.endswith("#OneValuePerFigureShape") and finding.severity == "Warning"
    assert "fx-headcount 2023 is printed as 30" in finding.message
    assert "32 persons on page 3 under fx-staff" in finding.message and "page 2" in finding.message


def test_words_against_a_count_of_the_family(shapes, context):
    data = _fixture(FIXTURES / "invalid" / "words-against-count.ttl")
    [finding] = validate_graph("fx-2023", data, context, shapes).findings
    assert finding.shape.endswith("#WordsAgainstCountShape") and finding.severity == "Warning"
    message = finding.message
    assert 'fx-safety-accidents 2023 is stated in words as "no" (zero) on page 3' in message
    assert "fx-injury-accidents" in message and "4 accidents on page 2" in message
    assert "narrower class" in message


def test_the_shapes_have_a_label_and_name_no_company_figure_or_page(shapes):
    from rdflib.namespace import RDFS

    from esgkg.namespaces import SH
    for name in ("WordsAgainstCountShape", "OneValuePerFigureShape"):
        [shape] = [s for s in shapes.subjects(SH.severity, SH.Warning) if str(s).endswith("#" + name)]
        assert shapes.value(shape, RDFS.label)
        constraint = shapes.value(shape, SH.sparql)
        text = f"{shapes.value(constraint, SH.select)} {shapes.value(constraint, SH.message)}".lower()
        for word in ("calb", "seres", "work-safety", "work-injury", "page/"):
            assert word not in text


def test_calb_no_work_safety_accident_against_35_work_injury_accidents(shipped_validation, findings_of):
    # CALB p67, line 1271: "there was not any work safety accident" in 2023; the annex (p85,
    # line 1651) counts 35 work injury accidents in 2023 (five bases). Seres's "no general or higher
    # safety accidents" (p55 line 2278, p63 line 2655) name a narrower class (a breakdown), so its
    # 42 occupational injuries (p64, line 2689) are not compared.
    assert findings_of("WordsAgainstCountShape") == {
        ("calb-2023", "calb-2023/work-safety-accidents/2023/total/calb/line-1271", "Warning"),
    }
    [f] = [f for f in shipped_validation["calb-2023"].findings
           if f.shape.endswith("#WordsAgainstCountShape")]
    assert '"none"' in f.message and "page 67" in f.message
    assert "work-injury-accidents" in f.message and "35" in f.message and "page 85" in f.message


def test_no_exact_match_adds_a_finding_on_the_shipped_data(shipped_validation, findings_of):
    # no pair of indicators is linked by skos:exactMatch in the vocabulary today: the three
    # OneValuePerFigureShape findings stay those of one indicator each
    assert {focus for _, focus, _ in findings_of("OneValuePerFigureShape")} == {
        "calb-2023/ghg-scope2/2022/total/calb/line-1560",
        "calb-2023/rd-investment/2023/total/calb/line-1679",
        "calb-2023/training-participations/2023/category-ehs-special/calb/line-1277",
    }


def test_the_families_and_matches_compile_to_skos(project):
    from esgkg.sources.vocab import load_vocabularies

    vocab = load_vocabularies(project.vocab_dir)
    g = vocab.graphs[ids.vocab_graph("indicators")]
    family = ids.concept("indicator", "work-accidents")
    for code in ("work-safety-accidents", "work-injury-accidents"):
        assert (ids.concept("indicator", code), SKOS.broader, family) in g


def test_an_unknown_exact_match_or_broader_code_is_refused(project_copy):
    from esgkg.sources.vocab import load_vocabularies

    path = project_copy.vocab_dir / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\nfx-a,FX a,test,Count,count,,,,,,,,,no-such-indicator\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"indicators.csv:\d+: exact_match.*'no-such-indicator'"):
        load_vocabularies(project_copy.vocab_dir)
    path.write_text(text.rstrip("\n") + "\nfx-a,FX a,test,Count,count,,,,,,,,fx-a\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broader names the indicator itself"):
        load_vocabularies(project_copy.vocab_dir)


def _compile_with_value(project_copy, value: str):
    from esgkg.build import compile_dataset

    path = project_copy.data_dir / "calb-2023" / "observations-body-b.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    [i] = [i for i, line in enumerate(lines) if line.startswith("work-safety-accidents,")]
    parts = lines[i].split(",", 5)
    parts[4] = value
    lines[i] = ",".join(parts)
    path.write_text("\n".join(lines), encoding="utf-8")
    return compile_dataset(project_copy), i + 1


def test_a_word_compiles_to_its_number_kept_as_printed(project):
    from esgkg.build import compile_dataset

    g = compile_dataset(project)[ids.report_graph("calb-2023")]
    obs = URIRef(ID + "obs/calb-2023/work-safety-accidents/2023/total/calb/line-1271")
    assert g.value(obs, ESGKG.value) == Literal("0", datatype=XSD.decimal)
    assert str(g.value(obs, ESGKG.valueAsPrinted)) == "none"
    assert g.value(obs, ESGKG.statedInWords) == Literal(True)
    # a numeral is not stated in words
    annex = URIRef(ID + "obs/calb-2023/work-injury-accidents/2023/total/calb/line-1651")
    assert g.value(annex, ESGKG.statedInWords) is None


def test_an_unknown_word_is_an_error_naming_file_line_and_word(project_copy):
    with pytest.raises((DataErrors, InputError)) as exc:
        _compile_with_value(project_copy, "nothing")
    text = str(exc.value)
    assert "observations-body-b.csv:" in text and "'nothing'" in text and "none" in text
