"""Your own labels: the labels table, its loader, and training on it (grouped K-fold, split column)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_risk.data import load_dataset
from credit_risk.exceptions import ConfigError
from credit_risk.label_sources import LabelConfig, training_labels
from credit_risk.labels import event_within
from credit_risk.labels_table import check_labels_table, load_labels_table
from credit_risk.scoring import active_cutoffs
from credit_risk.train import load_train_config, model_runs, train

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
AS_OF = pd.Timestamp("2024-07-01")
KINDS = ["penalty", "abnormal_listing", "complaint", "wage_arrears", "social_insurance_arrears"]

GOOD = pd.DataFrame({"credit_code": ["a", "b", "c"], "as_of": ["2024-01-01", "2024-01-01", "2024-02-01"],
                     "label": [1, 0, "yes"], "weight": [1.0, 2.0, 1.5], "group": ["g1", "g1", "g2"],
                     "split": ["train", "Test", "validation"]})


def test_a_good_table_is_typed():
    t = check_labels_table(GOOD)
    assert list(t.columns) == ["credit_code", "as_of", "label", "weight", "group", "split"]
    assert t["label"].tolist() == [1, 0, 1] and str(t["as_of"].dtype) == "datetime64[ns]"
    assert t["split"].tolist() == ["train", "test", "validation"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="label"), r"required column\(s\) \['label'\] missing"),
        (lambda f: f.rename(columns={"label": " Label"}), r"rename ' Label' → 'label'"),
        (lambda f: f.assign(extra=1), r"unknown column\(s\) \['extra'\]"),
        (lambda f: f.assign(as_of=["2024-01-01", "soon", "2024-02-01"]), r"row 2, column 'as_of': not a date \(got 'soon'"),
        (lambda f: f.assign(label=[1, 0, 2]), r"row 3, column 'label': not a 0/1 label \(got 2"),
        (lambda f: f.assign(label=[1, None, 0]), r"row 2, column 'label': not a 0/1 label"),
        (lambda f: f.assign(weight=[1, -1, 1]), r"row 2, column 'weight': weight must be a finite number > 0"),
        (lambda f: f.assign(weight=[1, 1, np.inf]), r"row 3, column 'weight'"),
        (lambda f: f.assign(split=["train", "holdout", "test"]), r"row 2, column 'split': split must be one of"),
        (lambda f: f.assign(credit_code=["a", None, "c"]), r"row 2, column 'credit_code': subject is missing"),
        (lambda f: f.assign(credit_code=["a", "a", "c"], as_of="2024-01-01"), r"row 2, column 'credit_code': \(credit_code, as_of\) repeats"),
        (lambda f: f.assign(label=[0, 0, 0]), r"every one of the 3 labels is 0; a model needs both outcomes"),
    ],
)
def test_bad_tables_name_row_and_column(change, message):
    with pytest.raises(ConfigError, match=message):
        check_labels_table(change(GOOD.copy()))


def test_loader_reads_csv_and_parquet_and_names_the_file(tmp_path):
    GOOD.to_csv(tmp_path / "labels.csv", index=False)
    pd.testing.assert_frame_equal(load_labels_table(tmp_path / "labels.csv"), check_labels_table(GOOD))
    GOOD.assign(as_of=pd.to_datetime(GOOD["as_of"]), label=[1, 0, 1]).to_parquet(tmp_path / "labels.parquet")
    pd.testing.assert_frame_equal(load_labels_table(tmp_path / "labels.parquet"), check_labels_table(GOOD))
    GOOD.assign(label=[1, 0, "maybe"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ConfigError, match=r"labels file .*bad.csv, row 3, column 'label'"):
        load_labels_table(tmp_path / "bad.csv")
    with pytest.raises(ConfigError, match=r"labels file .*nope.csv does not exist"):
        load_labels_table(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match=r"is not a regular file"):
        load_labels_table(tmp_path)
    (tmp_path / "labels.xlsx").write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"unknown format '.xlsx'; use .csv or .parquet"):
        load_labels_table(tmp_path / "labels.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(ConfigError, match=r"broken.parquet cannot be read as parquet"):
        load_labels_table(tmp_path / "broken.parquet")


@pytest.fixture(scope="module")
def sample():
    if not SAMPLE.exists():
        pytest.skip("committed sample not present")
    dataset = load_dataset(SAMPLE)
    cut = active_cutoffs(dataset, AS_OF)
    events = event_within(dataset, cut, KINDS, 365)
    return dataset, cut.assign(label=events.y)


def _config(tmp_path: Path, extra: str = "") -> tuple:
    (tmp_path / "model.yaml").write_text("n_estimators: 80\nnum_leaves: 7\nmin_child_samples: 20\n", encoding="utf-8")
    (tmp_path / "train.yaml").write_text(
        "domains: [environment, food]\nmodel: model.yaml\nsplit:\n  folds: 3\n" + extra, encoding="utf-8")
    return load_train_config(tmp_path / "train.yaml")


def test_one_as_of_trains_with_grouped_kfold_and_reports_out_of_fold_figures(sample, tmp_path):
    dataset, labels = sample
    config, text = _config(tmp_path)
    result = train(dataset, config, out_dir=tmp_path / "models", created_at="2026-01-01T00:00:00", labels=labels)
    r = result.trained.report
    assert r["split"]["method"] == "grouped_kfold" and r["split"]["folds"] == 3
    assert r["split"]["grouped_by"] == "credit_code"
    assert r["label"] == {"target": "table", "rows": len(labels), "positives": int(labels["label"].sum())}
    oof = r["test_scores"]
    assert len(oof) == len(labels) and r["metrics"]["generic"]["n"] == len(labels)  # every row, out of fold
    assert 0.5 < r["metrics"]["generic"]["auc"] < 1
    assert r["refit"] == {**r["refit"], "refit": True, "rows": len(labels), "figures_from": "out of fold"}
    assert len(r["generic_model"]["fold_trees"]) == 3
    # out-of-fold probabilities are not the saved model's in-sample ones
    saved = result.trained.generic.predict_proba(result.features.select(result.trained.generic.feature_names_in_))[:, 1]
    assert not np.allclose(saved, oof["probability"].to_numpy())
    for name in ("environment", "food"):
        assert r["domains"][name]["skipped"] and "grouped K-fold" in r["domains"][name]["reason"]
    assert set(result.bundles) == {"generic"}
    assert "targeting" not in r  # not an inspection-type label
    runs = model_runs(result, config_text=text)
    assert [run.name for run in runs] == ["generic"]
    assert runs[0].params["split"]["method"] == "grouped_kfold" and runs[0].params["refit"]["enabled"] is True
    assert runs[0].tags["credit_risk.refit"] == "true"
    assert "grouped K-fold" in runs[0].tags["credit_risk.domain_skipped.food"]
    assert "backtest.csv" not in runs[0].tables and runs[0].metrics["test_auc"] == r["metrics"]["generic"]["auc"]


def test_a_labels_file_with_a_split_column_from_the_config(sample, tmp_path):
    dataset, labels = sample
    rng = np.random.default_rng(0)
    split = rng.choice(["train", "validation", "test"], size=len(labels), p=[0.6, 0.2, 0.2])
    labels.assign(split=split).to_csv(tmp_path / "labels.csv", index=False)
    config, _ = _config(tmp_path, "refit: false\nlabel:\n  target: table\n  file: labels.csv\n")
    result = train(dataset, config, out_dir=tmp_path / "models", created_at="2026-01-01T00:00:00")
    r = result.trained.report
    assert r["split"]["method"] == "column"
    assert r["split"]["rows"] == {"train": int((split == "train").sum()), "validation": int((split == "validation").sum()),
                                  "test": int((split == "test").sum())}
    # refit: false keeps the model the test figures describe: refit on train + validation (refit_before_test)
    assert r["refit"]["refit"] is False and r["refit"]["refit_before_test"] is True
    assert r["refit"]["rows"] == r["refit"]["test_model_rows"] == int((split != "test").sum())
    assert r["domains"]["food"]["skipped"] and "label column 'y_food' is not in the labels" in r["domains"]["food"]["reason"]


def test_unknown_subjects_are_refused(sample, tmp_path):
    dataset, labels = sample
    config, _ = _config(tmp_path)
    bad = labels.copy()
    bad.loc[5, "credit_code"] = "NOT-A-SUBJECT"
    with pytest.raises(ConfigError, match=r"labels table, row 6, column 'credit_code': subject 'NOT-A-SUBJECT' is not in"):
        train(dataset, config, out_dir=tmp_path / "models", created_at="t", labels=bad)


def test_event_within_target_from_the_config(sample):
    dataset, labels = sample
    config = LabelConfig(target="event_within", kinds=tuple(KINDS), horizon_days=365, as_of=("2024-07-01",))
    built, table = training_labels(dataset, config)
    assert built.meta["target"] == "event_within"
    assert table["y"].tolist() == labels["label"].tolist()
    with pytest.raises(ConfigError, match=r"'event_within' needs label.kinds"):
        training_labels(dataset, LabelConfig(target="event_within"))
    with pytest.raises(ConfigError, match=r"label.target is 'table' but label.file is not set"):
        training_labels(dataset, LabelConfig(target="table"))
