"""A small trained run on the committed sample, and the report inputs built from it (shared by the report tests)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

AS_OF = "2026-01-01"


@pytest.fixture(scope="session")
def sample_run(small_sample_model, tmp_path_factory):
    """The shared small model: score as of 2026-01-01, compare with the month before, draw a plan."""
    from credit_risk.monitoring.cycle import compare_months
    from credit_risk.pipeline.demo import _plan
    from credit_risk.pipeline.domains import domain_shortfall
    from credit_risk.pipeline.score import bundle_feature_spec, score_dataset
    from credit_risk.scheduler import load_policy
    from credit_risk.store.bundle import load_bundle

    dataset, result, path, sha = (small_sample_model.dataset, small_sample_model.result, small_sample_model.path,
                                  small_sample_model.sha)
    tmp = tmp_path_factory.mktemp("report_run")
    bundle = load_bundle(path, sha256=sha)
    scores_path = score_dataset(bundle, dataset, as_of=AS_OF, out=tmp / "scores.parquet", model_name="generic",
                                model_version="1", model_sha256=sha)
    scores = pd.read_parquet(scores_path)
    month = compare_months(bundle, dataset, current_scores=scores_path, previous_as_of="2025-12-01", out_dir=tmp,
                           model_name="generic", model_version="1", model_sha256=sha)
    plan, _ = _plan(dataset, scores, load_policy(), start=pd.Timestamp(AS_OF), seed=7)
    # a domain verdict as fit_domains reports one that does not beat the generic model (the real sentence)
    report = replace(result.trained.report, domains={
        "food": {"skipped": False, "chosen": "stacking", "auc_chosen": 0.718, "auc_generic": 0.755,
                 "beats_generic": False, "subjects_test": 407, "events_test": 69,
                 "why_not": domain_shortfall("stacking", 0.718, 0.755, 0.017, 407, 69)},
        "environment": {"skipped": True, "reason": "the test slice has 12 rows with 0 events"},
    })
    return {"tmp": tmp, "dataset": dataset, "result": result, "report": report, "bundle": bundle, "sha": sha,
            "scores": scores, "month": month, "plan": plan, "spec": bundle_feature_spec(bundle)}


@pytest.fixture(scope="session")
def full_inputs(sample_run):
    """Every section of the report filled from the sample run."""
    from credit_risk.report import ReportInputs

    r = sample_run
    plan = r["plan"]
    return ReportInputs(
        title="credit_risk — test report", created_at="2026-01-01T00:00:00", model_report=r["report"],
        feature_info=tuple(r["result"].trained.feature_info), spec=r["spec"],
        model={"name": "generic", "version": "1", "sha256": r["sha"]}, data={"source": "data/sample"},
        scores=r["scores"], enterprises=r["dataset"].enterprises, plan_summary=plan.summary(),
        plan_stats={"seed": plan.seed, **plan.stats}, warnings=r["month"].warnings,
        monitoring=r["month"].report.checks, monitoring_runs=(r["month"].report.reference, r["month"].report.current),
    )


@pytest.fixture(scope="session")
def report_file(full_inputs, tmp_path_factory):
    """The full report written once (rendering draws the charts: a few seconds)."""
    from credit_risk.report import write_report

    return write_report(full_inputs, tmp_path_factory.mktemp("report_page") / "report.html")


@pytest.fixture(scope="session")
def full_page(report_file) -> str:
    return report_file.read_text(encoding="utf-8")
