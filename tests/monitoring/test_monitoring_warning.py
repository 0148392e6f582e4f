"""credit-risk warn: a planted serious listing between two runs tops the warning list, with that record as reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from monitoring_fixtures import make_dataset, make_run

from credit_risk.monitoring.warning import by_region, early_warning, write_warnings


def test_planted_jump_tops_the_list(tmp_path, base_frames):
    X, contributions, tiers = base_frames
    ds = make_dataset(serious_for=None)
    target = str(ds.enterprises["credit_code"].iloc[7])
    ds_after = make_dataset(serious_for=target, listed_on="2025-01-20")
    ref = make_run(tmp_path, ds_after, as_of="2025-01-01", X=X, contributions=contributions, tiers=tiers, name="a")
    # next month: the target is listed; two others double their probability through penalties
    X2 = X.copy()
    c2 = contributions.copy()
    X2.loc[7, "serious_listing_active"] = 1.0
    c2[7, 2] = 1.5
    for i in (11, 12):
        X2.loc[i, "penalty_count_365d"] += 4
        c2[i, 0] += 1.2
    t2 = tiers.copy()
    t2[[11, 12]] = "D"
    cur = make_run(tmp_path, ds_after, as_of="2025-02-01", X=X2, contributions=c2, tiers=t2, name="b")
    warnings = early_warning(ref, cur)
    top = warnings.iloc[0]
    assert top["credit_code"] == target and top["new_serious_record"]
    assert top["reason_1_feature"] == "record:planted"
    assert "serious_listing" in top["reason_1_text"] and "planted" in top["reason_1_text"]
    assert top["reason_1_text_zh"].startswith("新增严重记录：严重违法失信名单")
    assert top["reason_2_feature"] == "serious_listing_active" and top["reason_2_change"] == pytest.approx(1.5)
    assert "列入严重违法失信名单" in top["reason_2_text_zh"]
    assert top["department"] == "market_regulation" and top["region"] in ("330106", "330212")
    others = warnings.iloc[1:]
    assert set(others["credit_code"]) >= {str(ds.enterprises["credit_code"].iloc[i]) for i in (11, 12)}
    assert others.iloc[0]["reason_1_feature"] == "penalty_count_365d"
    assert "0 → 4" in others.iloc[0]["reason_1_text"] or "→" in others.iloc[0]["reason_1_text"]
    assert warnings["rank"].tolist() == list(range(1, len(warnings) + 1))
    regions = by_region(warnings)
    assert sum(len(v) for v in regions.values()) == len(warnings)
    assert all(v["region_rank"].tolist() == list(range(1, len(v) + 1)) for v in regions.values())
    paths = write_warnings(warnings, tmp_path / "warn")
    assert (tmp_path / "warn" / "warnings.csv") in paths and any("by_region" in str(p) for p in paths)
    # nobody changed: an empty list with the documented columns
    quiet = early_warning(ref, ref)
    assert quiet.empty and "reason_1_text_zh" in quiet.columns


def test_planted_listing_through_the_real_scoring_path(sample_model):
    """Score two months with a trained model; the subject listed between them is first, the listing its first reason."""
    from credit_risk.data import CreditDataset
    from credit_risk.monitoring import load_run, record_run
    from credit_risk.pipeline.score import score_dataset
    from credit_risk.store.bundle import load_bundle

    dataset, path, sha, tmp = sample_model
    bundle = load_bundle(path, sha256=sha)
    t0, t1 = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")
    rec = dataset.records
    known = pd.to_datetime(rec["published_on"]).fillna(pd.to_datetime(rec["start"]))
    negative = rec["kind"].isin([k for k, s in dataset.catalog.kinds.items() if s.polarity == "negative"])
    rec = rec[~(negative & (known >= t0 - pd.Timedelta(days=1)) & (known < t1))]  # no other new listing in the month
    scores0 = pd.DataFrame({"credit_code": dataset.enterprises["credit_code"]})
    target = str(dataset.enterprises.loc[dataset.enterprises["closed_on"].isna()
                                         & (dataset.enterprises["established_on"] < "2020-01-01"),
                                         "credit_code"].iloc[5])
    planted = pd.DataFrame({"record_id": ["PLANTED-1"], "credit_code": [target], "kind": ["serious_listing"],
                            "domain": ["market"], "start": [pd.Timestamp("2025-01-15")],
                            "published_on": [pd.Timestamp("2025-01-15")], "severity": ["serious"],
                            "source": ["market_regulation"]})
    records = pd.concat([rec, planted], ignore_index=True)
    ds = CreditDataset(enterprises=dataset.enterprises, records=records, catalog=dataset.catalog,
                       annual_reports=dataset.annual_reports, relations=dataset.relations,
                       id_scheme=dataset.id_scheme, manifest=dataset.manifest)
    runs = []
    for when in (t0, t1):
        out = score_dataset(bundle, ds, as_of=when, out=tmp / f"scores_{when.date()}.parquet", model_name="m",
                            model_version="1", model_sha256=sha)
        runs.append(load_run(record_run(out, bundle, ds, model_name="m", model_version="1", model_sha256=sha)))
    warnings = early_warning(*runs)
    top = warnings.iloc[0]
    assert top["credit_code"] == target
    assert top["reason_1_feature"] == "record:PLANTED-1"
    assert "严重违法失信名单" in top["reason_1_text_zh"]
    assert int(warnings["new_serious_record"].sum()) == 1
    assert np.isfinite(warnings["p_current"]).all() and len(scores0) > 0
