"""The run record written by the scoring pass (``run_history=``) equals the one rebuilt after the fact.

:func:`~credit_risk.monitoring.record_run` rebuilds the features of a scores file and computes
the TreeSHAP contributions of every row (what ``credit-risk score`` did before the scorer handed
its own matrix and contributions over); it stays the reference here: same folder, same
``run.json`` bytes, same snapshot, whatever the chunking, the reasons selection, the
``runs.contributions`` setting or a resumed run. And the scoring pass does each piece of work
once: one feature build, one TreeSHAP pass per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.monitoring import MonitoringConfig, find_run, load_run, record_run
from credit_risk.monitoring.config import RunSettings


def _same_record(new, old) -> None:
    """Two run folders hold the same record: same name, run.json bytes and snapshot bytes and values."""
    assert new.name == old.name
    assert (new / "run.json").read_bytes() == (old / "run.json").read_bytes()
    assert (new / "snapshot.parquet").read_bytes() == (old / "snapshot.parquet").read_bytes()
    pd.testing.assert_frame_equal(load_run(new).snapshot, load_run(old).snapshot)


@pytest.fixture(scope="module")
def scoring(small_sample_model, tmp_path_factory):
    from credit_risk.store.bundle import load_bundle

    m = small_sample_model
    return m.dataset, load_bundle(m.path, sha256=m.sha), m.sha, tmp_path_factory.mktemp("record_path")


@pytest.mark.parametrize(("reasons_for", "chunk_size", "contributions"), [
    ("C,D", 1_500, True),   # the monthly default, several chunks
    ("none", 100_000, True),  # nobody explained: every contribution computed for the record alone
    ("all", 2_000, False),  # runs.contributions: false stores none
])
def test_the_scoring_pass_records_what_record_run_rebuilds(scoring, reasons_for, chunk_size, contributions):
    from credit_risk.pipeline.score import score_dataset

    dataset, bundle, sha, tmp = scoring
    folder = tmp / f"{reasons_for}-{chunk_size}-{contributions}"
    config = MonitoringConfig(runs=RunSettings(contributions=contributions))
    model = dict(model_name="m", model_version="1", model_sha256=sha)
    out = score_dataset(bundle, dataset, as_of="2025-06-01", out=folder / "scores.parquet", chunk_size=chunk_size,
                        reasons_for=reasons_for, run_history=folder / "new", run_config=config, **model)
    new = find_run(folder / "new", out)
    old = record_run(out, bundle, dataset, history=folder / "old", config=config, **model)
    _same_record(new, old)
    run = load_run(new)
    assert run.meta["contributions"] is contributions
    assert ("c:__base__" in run.snapshot.columns) is contributions
    assert ("mean_contribution" in run.meta["features"][run.features[0]]) is contributions


def test_cutoffs_with_repeated_rows_record_the_same(scoring):
    from credit_risk.pipeline.score import score_cutoffs

    dataset, bundle, sha, tmp = scoring
    codes = dataset.enterprises["credit_code"].astype(str).iloc[:30].tolist()
    cutoffs = pd.DataFrame({"credit_code": codes + codes[:10],
                            "as_of": ["2024-03-01"] * 30 + ["2025-05-01"] * 10}).sample(frac=1, random_state=1)
    model = dict(model_name="m", model_version="1", model_sha256=sha)
    out = score_cutoffs(bundle, dataset, cutoffs, out=tmp / "cut" / "scores.parquet", chunk_size=16,
                        run_history=tmp / "cut" / "new", **model)
    _same_record(find_run(tmp / "cut" / "new", out), record_run(out, bundle, dataset, history=tmp / "cut" / "old",
                                                                **model))


def test_the_record_reuses_the_scorers_features_and_contributions(scoring, monkeypatch):
    """One feature build and one TreeSHAP pass per scored row, whoever gets reasons."""
    import credit_risk.features
    import credit_risk.pipeline.score
    from credit_risk.models.generic import GenericRiskModel
    from credit_risk.pipeline.score import score_dataset

    dataset, bundle, sha, tmp = scoring
    builds, rows = [], []
    build = credit_risk.features.build_features
    contrib = GenericRiskModel.raw_contributions

    def counted_build(*args, **kwargs):
        builds.append(1)
        return build(*args, **kwargs)

    def counted_contrib(self, X, **kwargs):
        rows.append(len(X))
        return contrib(self, X, **kwargs)

    monkeypatch.setattr(credit_risk.features, "build_features", counted_build)
    monkeypatch.setattr(credit_risk.pipeline.score, "build_features", counted_build)
    monkeypatch.setattr(GenericRiskModel, "raw_contributions", counted_contrib)
    out = score_dataset(bundle, dataset, as_of="2025-06-01", out=tmp / "once" / "scores.parquet", chunk_size=1_500,
                        model_name="m", model_version="1", model_sha256=sha, run_history=tmp / "once" / "runs")
    scored = len(pd.read_parquet(out, columns=["tier"]))
    explained = int(pd.read_parquet(out, columns=["reason_1_feature"])["reason_1_feature"].notna().sum())
    assert 0 < explained < scored
    assert len(builds) == 1
    assert sum(rows) == scored
    assert load_run(find_run(tmp / "once" / "runs", out)).meta["contributions"]


def test_a_resumed_run_records_the_same(scoring):
    """Chunks reused from a killed run get their contributions too; scores and record as a clean run's."""
    from credit_risk.pipeline.score import score_dataset

    dataset, bundle, sha, tmp = scoring
    model = dict(model_name="m", model_version="1", model_sha256=sha)

    class Killed(Exception):
        pass

    def kill_after_two(done: int, total: int) -> None:
        if done == 2:
            raise Killed

    out = tmp / "resume" / "scores.parquet"
    with pytest.raises(Killed):
        score_dataset(bundle, dataset, as_of="2025-06-01", out=out, chunk_size=1_000, progress=kill_after_two,
                      run_history=tmp / "resume" / "runs", **model)
    assert not out.exists() and len(list(out.with_name(out.name + ".parts").glob("part-*.parquet"))) == 2
    assert not list((tmp / "resume").glob("runs/*/run.json"))
    score_dataset(bundle, dataset, as_of="2025-06-01", out=out, chunk_size=1_000,
                  run_history=tmp / "resume" / "runs", **model)
    clean = score_dataset(bundle, dataset, as_of="2025-06-01", out=tmp / "clean" / "scores.parquet",
                          chunk_size=1_000, **model)
    assert out.read_bytes() == clean.read_bytes()
    _same_record(find_run(tmp / "resume" / "runs", out),
                 record_run(out, bundle, dataset, history=tmp / "resume" / "old", **model))
    assert np.isfinite(load_run(find_run(tmp / "resume" / "runs", out)).snapshot["c:__base__"]).all()
