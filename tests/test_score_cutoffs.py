"""score_cutoffs: each (credit_code, as_of) row scored as of its own date; reasons only for the subjects who need them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.data import load_dataset
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.features import build_features
from credit_risk.labels import inspection_outcome
from credit_risk.models.bundle import load_bundle
from credit_risk.models.domain import industry_of
from credit_risk.scoring import (
    ReasonsFor,
    active_cutoffs,
    bundle_feature_spec,
    score_chunk,
    score_cutoffs,
    score_dataset,
    score_frame,
)
from credit_risk.train import load_train_config, train

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    if not SAMPLE.exists():
        pytest.skip("committed sample not present")
    tmp = tmp_path_factory.mktemp("cutoffs")
    (tmp / "model.yaml").write_text("n_estimators: 60\nnum_leaves: 7\n", encoding="utf-8")
    (tmp / "train.yaml").write_text("domains: [food]\nmodel: model.yaml\n", encoding="utf-8")
    config, _ = load_train_config(tmp / "train.yaml")
    dataset = load_dataset(SAMPLE)
    result = train(dataset, config, out_dir=tmp / "models", created_at="2026-01-01T00:00:00")
    path = result.bundles["generic"]
    sha = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))["sha256"]
    targeting = result.trained.report["targeting"].set_index("metric")  # inspection labels: targeting figures
    assert {"days_earlier", "days_earlier_random", "first_half_share", "capture_at_10%"} <= set(targeting.index)
    return dataset, load_bundle(path, sha256=sha), sha, tmp


def test_each_row_is_scored_as_of_its_own_date(trained):
    dataset, bundle, sha, tmp = trained
    codes = dataset.enterprises["credit_code"].head(40).tolist()
    dates = pd.to_datetime(["2023-03-01", "2024-06-15", "2025-01-01"])
    cutoffs = pd.DataFrame({"credit_code": codes * 3, "as_of": np.repeat(dates, 40)}).sample(frac=1, random_state=0)
    out = score_cutoffs(bundle, dataset, cutoffs, out=tmp / "scores.parquet", model_name="m", model_version="1",
                        chunk_size=50, k=2, model_sha256=sha)
    scores = pd.read_parquet(out)
    assert scores["credit_code"].tolist() == cutoffs["credit_code"].tolist()
    assert (scores["as_of"].to_numpy() == cutoffs["as_of"].to_numpy()).all()
    # the same as build_features + predict on the same rows
    fm = build_features(dataset, cutoffs.reset_index(drop=True), bundle_feature_spec(bundle)).select(bundle.feature_names)
    industry = cutoffs.merge(dataset.enterprises[["credit_code", "industry"]], on="credit_code", how="left")["industry"]
    direct = score_frame(bundle.model, fm, k=2, industry=industry)
    np.testing.assert_array_equal(scores["probability"].to_numpy(), direct["probability"].to_numpy())
    p = bundle.model.generic.predict_proba(fm.select(bundle.model.generic.feature_names_in_))[:, 1]
    np.testing.assert_array_equal(scores["probability"].to_numpy(), p)
    assert scores["tier"].tolist() == direct["tier"].tolist()
    np.testing.assert_array_equal(scores["p_food"].to_numpy(), direct["p_food"].to_numpy())
    # one date for everyone gives what the monthly job gives for those subjects
    one = score_dataset(bundle, dataset, as_of="2025-01-01", out=tmp / "monthly.parquet", model_name="m",
                        model_version="1", k=2, model_sha256=sha)
    monthly = pd.read_parquet(one).set_index("credit_code")
    late = scores[scores["as_of"] == pd.Timestamp("2025-01-01")].set_index("credit_code")
    common = late.index.intersection(monthly.index)
    assert len(common) > 20
    np.testing.assert_allclose(late.loc[common, "probability"], monthly.loc[common, "probability"])
    # the scores of earlier dates differ: each row saw only what was published before its date
    early = scores[scores["as_of"] == dates[0]].set_index("credit_code")
    assert not np.allclose(early.loc[common, "probability"], late.loc[common, "probability"])


def test_inspection_cutoffs_match_the_training_features(trained):
    dataset, bundle, sha, tmp = trained
    labels = inspection_outcome(dataset)
    cut = labels.cutoffs.tail(60).reset_index(drop=True)
    out = score_cutoffs(bundle, dataset, cut, out=tmp / "insp.parquet", model_name="m", model_version="1",
                        k=1, model_sha256=sha)
    fm = build_features(dataset, labels.cutoffs, bundle_feature_spec(bundle)).select(bundle.feature_names)
    p = bundle.model.generic.predict_proba(fm.rows(np.arange(len(labels) - 60, len(labels))).select(
        bundle.model.generic.feature_names_in_))[:, 1]
    np.testing.assert_array_equal(pd.read_parquet(out)["probability"].to_numpy(), p)


@pytest.mark.parametrize(
    ("cutoffs", "message"),
    [
        (pd.DataFrame({"credit_code": ["x"]}), "cutoffs need columns credit_code and as_of"),
        (pd.DataFrame({"credit_code": [], "as_of": []}), "cutoffs hold no rows"),
        (pd.DataFrame({"credit_code": ["?"], "as_of": ["2024-01-01"]}), r"row 1, column 'credit_code': subject '\?' is not in"),
    ],
)
def test_bad_cutoffs_raise(trained, cutoffs, message):
    dataset, bundle, sha, tmp = trained
    with pytest.raises(ConfigError, match=message):
        score_cutoffs(bundle, dataset, cutoffs, out=tmp / "x.parquet", model_name="m", model_version="1")


def test_a_bad_date_is_named(trained):
    dataset, bundle, sha, tmp = trained
    code = dataset.enterprises["credit_code"].iloc[0]
    with pytest.raises(ConfigError, match=r"cutoffs row 2, column 'as_of': 'someday' is not a date"):
        score_cutoffs(bundle, dataset, pd.DataFrame({"credit_code": [code, code], "as_of": ["2024-01-01", "someday"]}),
                      out=tmp / "x.parquet", model_name="m", model_version="1")


# ---------------------------------------------------------------- reasons only where they are needed

REASON_COLUMNS = [f"reason_{r}_{c}" for r in (1, 2) for c in ("feature", "value", "contribution", "text", "text_zh")]
PORTRAIT_COLUMNS = ["commercial", "compliance", "social", "lifecycle", "relations", "context", "base", "log_odds"]


@pytest.fixture(scope="module")
def features_now(trained):
    dataset, bundle, sha, tmp = trained
    cut = active_cutoffs(dataset, "2025-01-01")
    fm = build_features(dataset, cut, bundle_feature_spec(bundle)).select(bundle.feature_names)
    return fm, industry_of(cut["credit_code"], dataset.enterprises)


def test_selected_subjects_get_the_reasons_of_scoring_everyone(trained, features_now):
    dataset, bundle, sha, tmp = trained
    fm, industry = features_now
    everyone = score_frame(bundle.model, fm, k=2, industry=industry)
    asked = everyone["credit_code"].iloc[[0, 5]].tolist()  # subjects who ask, whatever their tier
    some = score_frame(bundle.model, fm, k=2, industry=industry,
                       reasons_for=ReasonsFor.parse("C,D", codes=asked))
    chosen = everyone["tier"].isin(["C", "D"]) | everyone["credit_code"].isin(asked)
    assert 0 < chosen.sum() < len(chosen)
    # probability, tiers and domain scores are everyone's; reasons and portrait identical where chosen
    same = [c for c in everyone.columns if c not in REASON_COLUMNS and c not in PORTRAIT_COLUMNS]
    pd.testing.assert_frame_equal(some[same], everyone[same])
    pd.testing.assert_frame_equal(some.loc[chosen, REASON_COLUMNS + PORTRAIT_COLUMNS],
                                  everyone.loc[chosen, REASON_COLUMNS + PORTRAIT_COLUMNS])
    assert some.loc[~chosen, REASON_COLUMNS + PORTRAIT_COLUMNS].isna().all().all()
    assert everyone[["reason_1_feature", "reason_1_contribution"] + PORTRAIT_COLUMNS].notna().all().all()
    none = score_frame(bundle.model, fm, k=2, industry=industry, reasons_for="none")
    assert none[REASON_COLUMNS + PORTRAIT_COLUMNS].isna().all().all()
    pd.testing.assert_frame_equal(none[same], everyone[same])


def _flatten(reasons: pd.DataFrame, n_rows: int, k: int) -> pd.DataFrame:
    """Reference: the long reasons table, one column group per rank (what score_frame wrote before it built them directly)."""
    out = {}
    for rank in range(1, k + 1):
        r = reasons[reasons["rank"] == rank]
        rows = r["row"].to_numpy()
        for col, dtype in (("feature", object), ("value", object), ("contribution", float), ("text", object),
                           ("text_zh", object)):
            arr = np.full(n_rows, np.nan if dtype is float else None, dtype=dtype)
            values = r[col].astype(object).to_numpy() if dtype is object else r[col].to_numpy(dtype=float)
            if col == "value":
                values = np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                                   for v in values], dtype=object)
            arr[rows] = values
            out[f"reason_{rank}_{col}"] = arr
    return pd.DataFrame(out)


@pytest.mark.parametrize("reasons_for", ["all", "C,D", "none"])
def test_score_frame_is_score_chunk_with_the_reasons_flattened(trained, features_now, reasons_for):
    dataset, bundle, sha, tmp = trained
    fm, industry = features_now
    wide = score_frame(bundle.model, fm, k=3, industry=industry, reasons_for=reasons_for)
    scores, reasons = score_chunk(bundle.model, fm, k=3, industry=industry, reasons_for=reasons_for)
    pd.testing.assert_frame_equal(wide, pd.concat([scores, _flatten(reasons, len(scores), 3)], axis=1))


def test_score_frame_hands_every_rows_contributions_over(trained, features_now):
    """The same output with the run record's buffer; the buffer holds what TreeSHAP of every row gives, bit for bit."""
    dataset, bundle, sha, tmp = trained
    fm, industry = features_now
    generic = bundle.model.generic
    names = list(generic.feature_names_in_)
    buffer = np.full((len(fm.X), len(names) + 1), np.nan)
    wide = score_frame(bundle.model, fm, k=3, industry=industry, reasons_for="C,D", contributions=buffer)
    pd.testing.assert_frame_equal(wide, score_frame(bundle.model, fm, k=3, industry=industry, reasons_for="C,D"))
    assert 0 < wide["reason_1_feature"].notna().sum() < len(wide)
    np.testing.assert_array_equal(buffer, generic.raw_contributions(fm.X[names]))
    with pytest.raises(ModelError, match=r"contributions: an array of float64 \(3, 2\) arrived; pass a float64 array"):
        score_frame(bundle.model, fm, industry=industry, contributions=np.zeros((3, 2)))


def test_long_reasons_keep_their_row_positions(trained, features_now):
    dataset, bundle, sha, tmp = trained
    fm, _ = features_now
    (s_all, r_all), = bundle.model.iter_scores(fm, k=3, chunk_size=len(fm.X))
    parts = list(bundle.model.iter_scores(fm, k=3, chunk_size=700, reasons_for="D"))
    reasons = pd.concat([r for _, r in parts], ignore_index=True)
    d_rows = np.flatnonzero(s_all["tier"].to_numpy() == "D")
    assert sorted(set(reasons["row"])) == d_rows.tolist()
    expected = r_all[r_all["row"].isin(d_rows)].reset_index(drop=True)
    pd.testing.assert_frame_equal(reasons, expected)


def test_the_monthly_job_explains_tiers_c_and_d_by_default(trained, features_now):
    dataset, bundle, sha, tmp = trained
    fm, industry = features_now  # the same rows and features as the monthly job as of 2025-01-01
    default = pd.read_parquet(score_dataset(bundle, dataset, as_of="2025-01-01", out=tmp / "d.parquet", model_name="m",
                                            model_version="1", k=2, chunk_size=600, model_sha256=sha))
    high = default["tier"].isin(["C", "D"]).to_numpy()
    assert high.any() and (~high).any()
    assert default.loc[high, "reason_1_feature"].notna().all()
    assert default.loc[~high, ["reason_1_feature", "compliance"]].isna().all().all()
    everyone = score_frame(bundle.model, fm, k=2, industry=industry, reasons_for="all")
    columns = ["credit_code", "probability", "tier", "compliance", *REASON_COLUMNS]
    pd.testing.assert_frame_equal(default.loc[high, columns].reset_index(drop=True),
                                  everyone.loc[high, columns].reset_index(drop=True), check_dtype=False)


def test_reasons_for_an_unknown_tier_is_refused_before_any_work(trained):
    dataset, bundle, sha, tmp = trained
    with pytest.raises(ConfigError, match=r"reasons_for: tier\(s\) \['E'\] are not tiers of this model"):
        score_dataset(bundle, dataset, as_of="2025-01-01", out=tmp / "e.parquet", model_name="m", model_version="1",
                      reasons_for="D,E")
    assert not (tmp / "e.parquet.parts").exists()


@pytest.mark.parametrize(
    ("value", "codes", "tiers", "expected_codes"),
    [
        ("all", (), None, ()),
        (" ALL ", ("x",), None, ("x",)),
        ("none", ("x", "x"), (), ("x",)),
        ("C,D", (), ("C", "D"), ()),
        (["D", "D"], (), ("D",), ()),
        (None, (), None, ()),
        (ReasonsFor(("D",), ("a",)), ("b", "a"), ("D",), ("a", "b")),
    ],
)
def test_reasons_for_parse(value, codes, tiers, expected_codes):
    parsed = ReasonsFor.parse(value, codes=codes)
    assert parsed.tiers == tiers and parsed.codes == expected_codes


@pytest.mark.parametrize(("value", "message"), [("C,,D", "an empty tier label"), ("", "an empty tier label"),
                                                (3, "expected 'all', 'none', tier labels")])
def test_reasons_for_parse_errors(value, message):
    with pytest.raises(ConfigError, match=message):
        ReasonsFor.parse(value)


def test_reasons_for_mask_and_digest():
    tiers = np.array(["A", "B", "C", "D", "D"], dtype=object)
    codes = np.array(["a", "b", "c", "d", "e"], dtype=object)
    assert ReasonsFor().mask(tiers, codes).tolist() == [False, False, True, True, True]
    assert ReasonsFor(tiers=(), codes=("b",)).mask(tiers, codes).tolist() == [False, True, False, False, False]
    assert ReasonsFor(tiers=None).mask(tiers, codes).all()
    digests = {ReasonsFor().digest(), ReasonsFor(tiers=None).digest(), ReasonsFor(codes=("a",)).digest(),
               ReasonsFor(codes=("b",)).digest(), ReasonsFor(tiers=()).digest()}
    assert len(digests) == 5


def test_cli_reasons_for_and_codes(trained, capsys):
    from credit_risk.cli import main

    dataset, bundle, sha, tmp = trained
    model = str(next((tmp / "models").glob("run-*/generic/model.joblib")))
    asked = dataset.enterprises["credit_code"].head(3)
    asked.to_frame().to_csv(tmp / "asked.csv", index=False)
    out = tmp / "cli.parquet"
    assert main(["score", "--model", model, "--sha256", sha, "--data", str(SAMPLE), "--as-of", "2025-01-01",
                 "--out", str(out), "--reasons", "1", "--reasons-for", "D", "--reasons-codes", str(tmp / "asked.csv"),
                 "--quiet", "--no-record"]) == 0
    scores = pd.read_parquet(out)
    chosen = (scores["tier"] == "D") | scores["credit_code"].isin(asked)
    assert scores["reason_1_feature"].notna().tolist() == chosen.tolist()
    assert main(["score", "--model", model, "--sha256", sha, "--data", str(SAMPLE), "--as-of", "2025-01-01",
                 "--out", str(tmp / "e.parquet"), "--reasons-for", "E", "--quiet", "--no-record"]) == 2
    assert "reasons_for: tier(s) ['E'] are not tiers of this model" in capsys.readouterr().err


def test_the_resume_digest_covers_every_scored_value(features_now):
    from credit_risk.features import FeatureMatrix
    from credit_risk.pipeline.score import _rows_digest

    fm, industry = features_now
    digest = _rows_digest(fm, industry)
    assert _rows_digest(FeatureMatrix(fm.keys.copy(), fm.X.copy(), fm.info), industry.copy()) == digest
    numeric = next(c for c in fm.X.columns if fm.X[c].dtype == float)
    changed = fm.X.copy()
    changed.loc[3, numeric] = (0.0 if changed.loc[3, numeric] != 0.0 else 1.0)
    assert _rows_digest(FeatureMatrix(fm.keys, changed, fm.info), industry) != digest
    other = industry.copy()
    other.iloc[0] = "Z99"
    assert _rows_digest(fm, other) != digest
    keys = fm.keys.copy()
    keys.loc[0, "credit_code"] = keys.loc[1, "credit_code"]
    assert _rows_digest(FeatureMatrix(keys, fm.X, fm.info), industry) != digest


def test_the_run_record_of_a_model_set_with_domains_holds_the_generic_features(trained):
    """The scorer's matrix also holds the domain models' extra features; the record keeps the generic model's, as record_run."""
    from credit_risk.monitoring import find_run, load_run, record_run

    dataset, bundle, sha, tmp = trained
    generic = list(bundle.model.generic.feature_names_in_)
    assert set(bundle.feature_names) > set(generic)  # the food model reads features the generic one does not
    model = dict(model_name="m", model_version="1", model_sha256=sha)
    out = score_dataset(bundle, dataset, as_of="2025-01-01", out=tmp / "rec" / "scores.parquet", chunk_size=1_500,
                        run_history=tmp / "rec" / "runs", **model)
    new = find_run(tmp / "rec" / "runs", out)
    old = record_run(out, bundle, dataset, history=tmp / "rec" / "old", **model)
    assert load_run(new).features == generic
    assert (new / "run.json").read_bytes() == (old / "run.json").read_bytes()
    assert (new / "snapshot.parquet").read_bytes() == (old / "snapshot.parquet").read_bytes()
