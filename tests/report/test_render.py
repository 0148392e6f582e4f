"""The report's HTML: self-contained, every number labelled, reasons only from actionable features."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from credit_risk.features.matrix import FeatureInfo
from credit_risk.features.spec import FeatureSpec, default_actionable
from credit_risk.report import ReportInputs, actionable_reasons, render_html, write_report
from credit_risk.report.load import read_monitoring, read_plan, read_warnings

INFO = (
    FeatureInfo("penalty_count_365d", "compliance", 1, "penalties in the last 365 days", "近365天行政处罚次数"),
    FeatureInfo("region_city", "context", 0, "prefecture city", "地市", categorical=True),
    FeatureInfo("age_years", "lifecycle", 0, "years since establishment", "成立年限"),
    FeatureInfo("insured_employee_ratio", "commercial", -1, "insured employees / employees", "参保比例"),
)


def _reasons_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "reason_1_feature": ["region_city", "insured_employee_ratio"],
        "reason_1_value": ["3301", np.nan],
        "reason_1_contribution": [0.9, 0.5],
        "reason_1_text": ["prefecture city = 3301", "insured employees / employees = missing"],
        "reason_2_feature": ["penalty_count_365d", "age_years"],
        "reason_2_value": [2.0, 1.0],
        "reason_2_contribution": [0.4, 0.3],
        "reason_2_text": ["penalties in the last 365 days = 2", "years since establishment = 1"],
    })


def test_default_actionable_excludes_where_a_subject_is_and_what_it_is():
    assert [default_actionable(i) for i in INFO] == [True, False, False, True]


def test_reasons_shown_are_actionable_and_never_a_missing_value():
    out = actionable_reasons(_reasons_frame(), INFO)
    assert out.tolist() == ["penalties in the last 365 days = 2", "(no actionable reason among the top reasons)"]


def test_the_spec_declares_what_is_actionable():
    spec = FeatureSpec(actionable={"age_years": True, "penalty_count_365d": False})
    out = actionable_reasons(_reasons_frame(), INFO, spec)
    assert out.tolist() == ["(no actionable reason among the top reasons)", "years since establishment = 1"]


def test_a_new_record_of_the_subject_is_a_reason_and_lowering_reasons_are_not():
    frame = pd.DataFrame({"reason_1_feature": ["record:R1", "penalty_count_365d"],
                          "reason_1_contribution": [np.nan, -0.2],
                          "reason_1_text": ["new serious record: serious_listing R1", "penalties = 0"]})
    assert actionable_reasons(frame, INFO).tolist() == ["new serious record: serious_listing R1",
                                                        "(no actionable reason among the top reasons)"]


def _scores(n: int = 60) -> pd.DataFrame:
    from credit_risk.data.credit_code import complete

    rng = np.random.default_rng(0)
    regions = np.array(["330106", "330302", "331127"])[rng.integers(0, 3, n)]
    codes = [complete(f"91{r}MA2H{i:05d}") for i, r in enumerate(regions)]
    tiers = np.array(list("ABCD"))[rng.integers(0, 4, n)]
    return pd.DataFrame({"credit_code": codes, "as_of": pd.Timestamp("2026-01-01"),
                         "probability": rng.uniform(0, 0.6, n), "model_tier": tiers, "tier": tiers})


def test_scores_alone_give_a_map_from_the_credit_codes_and_no_external_resource():
    page = render_html(ReportInputs(title="t", scores=_scores()))
    assert page.count('class="tile"') >= 3 and "西湖" in page and "Lucheng" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "@import" not in page and "url(http" not in page
    for absent in ('id="performance"', 'id="domains"', 'id="plan"', 'id="monitoring"'):
        assert absent not in page  # sections without their input are left out, not filled with placeholders


def test_the_full_report_labels_every_auc_and_count(full_inputs, full_page):
    page = full_page
    r = full_inputs.model_report
    auc_w, auc_u = r.metrics["generic"]["auc"], r.metrics_unweighted["generic"]["auc"]
    assert f"population-weighted (1/p): AUC {auc_w:.3f}" in page  # the ROC legend
    assert f"inspected rows, unweighted: AUC {auc_u:.3f}" in page
    assert "rows inspected" in page and "events (population-weighted)" in page and "events (inspected)" in page
    assert "within noise" in page or "a real shortfall" in page  # the domain's why_not
    assert "the test slice has 12 rows with 0 events" in page  # a domain not fitted, with its reason
    for sid in ("summary", "map", "tiers", "performance", "domains", "overrides", "subjects", "plan", "warnings",
                "monitoring", "model-card"):
        assert f'<section id="{sid}">' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_reasons_in_the_report_come_from_actionable_features_only(full_inputs, full_page):
    page = full_page
    section = page[page.index('<section id="subjects">'):]
    section = section[: section.index("</section>")]
    for i in full_inputs.feature_info:
        if not full_inputs.spec.is_actionable(i):
            assert f">{i.description} =" not in section and f"\n{i.description} =" not in section
    assert "= missing" not in section


def test_written_atomically_and_readers_of_run_outputs(report_file, sample_run, tmp_path):
    assert report_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in report_file.parent.iterdir()] == ["report.html"]  # no temporary left behind
    small = write_report(ReportInputs(title="t", scores=_scores()), tmp_path / "nested" / "small.html")
    assert small.exists()
    month = sample_run["month"]
    checks, runs = read_monitoring(month.monitor_dir)
    assert runs == (month.report.reference, month.report.current) and len(checks) == len(month.report.checks)
    assert len(read_warnings(month.warnings_dir)) == len(month.warnings)


def test_readers_say_which_file_is_missing(tmp_path):
    from credit_risk.exceptions import DataContractError

    with pytest.raises(DataContractError, match=r"summary.csv not found; pass the folder credit-risk plan wrote"):
        read_plan(tmp_path)
    with pytest.raises(DataContractError, match=r"neither monitor.json nor checks.csv found"):
        read_monitoring(tmp_path)
    with pytest.raises(DataContractError, match=r"warnings.csv not found|not found; pass warnings.csv"):
        read_warnings(tmp_path)


def test_free_form_regions_get_a_map_too():
    # user data with postal codes for regions (e.g. San Francisco restaurants): the codes are the names
    rng = np.random.default_rng(1)
    zips = np.array(["94110", "94121", "94133", "94124"])[rng.integers(0, 4, 80)]
    ent = pd.DataFrame({"credit_code": [f"b{i}" for i in range(80)], "region": zips,
                        "latitude": 37.75 + rng.normal(0, 0.01, 80), "longitude": -122.44 + rng.normal(0, 0.01, 80)})
    tiers = np.array(list("ABCD"))[rng.integers(0, 4, 80)]
    scores = pd.DataFrame({"credit_code": ent["credit_code"], "probability": rng.uniform(0, 0.5, 80), "tier": tiers})
    page = render_html(ReportInputs(title="sf", scores=scores, enterprises=ent))
    assert page.count('class="tile"') == 4 * page.count('class="tilemap"')
    assert ">94110<" in page and "名称" not in page


def test_a_measure_of_ones_own_colours_the_map_too():
    from credit_risk.exceptions import ConfigError
    from credit_risk.report import Measure

    scores = _scores()
    regions = scores["credit_code"].str[2:8]
    visits = Measure("visits", "visits per 100 subjects", 100 * regions.value_counts() / 60, regions.value_counts(),
                     percent=False)
    page = render_html(ReportInputs(title="t", scores=scores, measures=[visits]))
    assert 'id="measure-visits"' in page and 'data-measure="visits"' in page and "visits per 100 subjects" in page
    with pytest.raises(ConfigError, match=r"map measure key 'visits per 100' must start with a letter"):
        Measure("visits per 100", "x", visits.values, visits.subjects, percent=False)


def test_without_the_models_features_no_reason_is_shown():
    scores = _scores().assign(reason_1_feature="region_city", reason_1_text="prefecture city = 3301",
                              reason_1_contribution=0.5)
    page = render_html(ReportInputs(title="t", scores=scores))
    assert '<section id="subjects">' not in page and "prefecture city = 3301" not in page
    page = render_html(ReportInputs(title="t", scores=scores, feature_info=INFO))
    assert '<section id="subjects">' in page and "prefecture city = 3301" not in page
