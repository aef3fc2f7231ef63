"""Issue 15, part D (shapes/agreement.ttl): a part printed larger than its whole, as found on the
shipped reports. Expected values are the reports' (page and line of
../shared/reports/<report>.txt beside each)."""

from __future__ import annotations

ID = "https://w3id.org/esgkg/id/"



def test_part_larger_than_its_whole(shipped_validation, findings_of):
    # CALB p68, line 1277: the special EHS trainings add up to 300,000 person-times, more than
    # all training in the year, 68,109 person-times (annex p84, line 1623; also p62, line 1126).
    # The infographic's 30 thousand (p68, line 1297) fits; the "more than 20,000" contractor
    # trainings (line 1281) are not exact and are not compared.
    assert findings_of("PartExceedsWholeShape") == {
        ("calb-2023", "calb-2023/training-participations/2023/category-ehs-special/calb/line-1277",
         "Warning"),
    }
    [f] = [f for f in shipped_validation["calb-2023"].findings
           if f.shape.endswith("#PartExceedsWholeShape")]
    assert "300000" in f.message and "68109" in f.message
    assert "page 68" in f.message and "page 84" in f.message
    assert "2023" in f.message and "ehs-special" in f.message


def test_no_part_exceeds_its_whole_in_seres(shipped_validation):
    # Seres p59, line 2438: 164,240.40 training hours; its parts (information security 130,300,
    # p16 line 576; the three types of p60, lines 2453-2455) are each smaller
    assert not [f for f in shipped_validation["seres-2023"].findings
                if f.shape.endswith("#PartExceedsWholeShape")]


def test_shares_whose_base_is_unstated(shipped_validation, findings_of):
    # CALB annex p86 (lines 1661-1675): five supplier shares printed beside their counts, none
    # saying what it is a share of; the supplier total on the same page (551 in 2022, 599 in
    # 2023, line 1657) fits none of them (32 of 551 would be 5.8%, not 69%)
    rows = {"suppliers-esg-assessed": 1662, "suppliers-onsite-audited": 1665,
            "suppliers-code-of-conduct": 1671, "suppliers-esg-clauses": 1673,
            "suppliers-mineral-due-diligence": 1675}
    assert findings_of("ShareBaseStatedShape") == {
        ("calb-2023", f"calb-2023/{code}-share/{year}/total/calb/line-{line}", "Info")
        for code, line in rows.items() for year in ("2022", "2023")
    }
    [f] = [f for f in shipped_validation["calb-2023"].findings
           if f.focus.endswith("suppliers-esg-assessed-share/2022/total/calb/line-1662")]
    # 32 suppliers at 69% (line 1661-1662): a base of 32 / 0.69 = 46.4
    assert "69" in f.message and "32" in f.message and "about 46" in f.message and "page 86" in f.message
