"""Real data: San Francisco restaurant inspections, out of time — a plain LightGBM baseline.

Run::

    .venv/bin/python benchmarks/real_data.py                      # dannguyen_2014-2017 snapshot
    .venv/bin/python benchmarks/real_data.py --test-share 0.25 --n-boot 500

Data: ``../shared/data/sf_restaurants/dannguyen_2014-2017`` (LIVES format: ``businesses.csv``,
``inspections_plus.csv``, ``violations_plus.csv``; read from outside the repository, never
copied). The script exits with a message when the folder is absent. The other snapshot,
``3innielee_2015-2018``, has routine inspections to 2018-02 but its violations carry no risk
category, so the target cannot be read from it alone (its 68 violation descriptions map one to
one onto the dannguyen risk categories, but that would join the two snapshots); it is used by
the adapter's tests, not here.

Target: every routine inspection (type ``Routine - Unscheduled``) is one row; its label is 1
when a *High Risk* violation is recorded for that business on that date. The rows are split
out of time: the last ``--test-share`` of the routine inspections by date are the test slice
(all visits of one day fall on the same side), everything before is training.

**The baseline** is what a competent data scientist writes in half an hour on the raw tables,
without the library: a LightGBM classifier on hand-made point-in-time aggregates. For a visit
of business ``b`` on day ``t`` every feature uses only inspections and violations of ``b``
dated strictly before ``t`` (the score and violations of the visit itself are its outcome,
known on the day):

* inspection history: past inspections of each type (routine, reinspection/follow-up,
  complaint, new ownership, new construction, other), days since the last inspection and the
  last routine inspection, days since first seen, last / mean / min routine score;
* violation history: violations by risk category (High / Moderate / Low) ever and in the last
  365 days, the counts found at the last routine inspection, the share of past routine
  inspections that found a High Risk violation, distinct violation types seen;
* business attributes: postal code (cleaned to 5 digits, categorical), latitude, longitude,
  whether a phone number is listed, how many businesses share the name (chains).

LightGBM (``--threads`` threads) stops early on the last 20 % of the training slice (by date)
and is then refit on the whole training slice with that many trees.

**Targeting metrics** (the Chicago metric, ``../shared/DOMAIN.md`` §7): the test period's
visits keep their dates (the slots); re-ordered by score, highest first, the riskiest visit
takes the earliest slot. *Days earlier* is the mean, over the visits that found a High Risk
violation, of (actual date − slot date under the score's order); the actual order scores 0
by definition. *First-half share* is the share of those adverse visits whose slot falls in
the first half of the period (by date). *Random order* is the expectation of both under a
uniformly random order (exact, not simulated): it is not 0 on real data when the event rate
drifts within the period. Every figure has a 95 % percentile interval from a paired bootstrap
(the same resampled visits for every scorer; ``--n-boot`` replicates); the AUC difference uses
:func:`credit_risk.evaluation.auc_difference`.

Library code logs; this script prints.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from credit_risk.evaluation import binary_metrics

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sf_restaurants" / "dannguyen_2014-2017"

ROUTINE = "Routine - Unscheduled"
RISKS = {"High Risk": "high", "Moderate Risk": "moderate", "Low Risk": "low"}
TYPE_GROUPS = {
    "Routine - Unscheduled": "routine",
    "Routine - Scheduled": "routine",
    "Reinspection/Followup": "reinspection",
    "Complaint": "complaint",
    "Complaint Reinspection/Followup": "complaint",
    "Foodborne Illness Investigation": "complaint",
    "New Ownership": "new_ownership",
    "New Ownership - Followup": "new_ownership",
    "New Construction": "new_construction",
}


# ----------------------------------------------------------------------------- raw tables
def _read_csv(path: Path) -> pd.DataFrame:
    """Read a LIVES CSV as text; the SF businesses file is Windows-1252, not UTF-8."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="cp1252")


def read_raw(folder: Path) -> dict[str, pd.DataFrame]:
    """The three raw tables, lower-cased column names, dates parsed, exact duplicates dropped."""
    files = {"businesses": "businesses.csv", "inspections": "inspections_plus.csv",
             "violations": "violations_plus.csv"}
    out = {}
    for name, file in files.items():
        frame = _read_csv(folder / file)
        frame.columns = [c.lower() for c in frame.columns]
        before = len(frame)
        frame = frame.drop_duplicates().reset_index(drop=True)
        if len(frame) < before:
            print(f"  {file}: {before - len(frame)} exact duplicate rows dropped")
        if "date" in frame:
            frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
        out[name] = frame
    out["inspections"]["score"] = pd.to_numeric(out["inspections"]["score"])
    out["violations"]["risk"] = out["violations"]["risk_category"].map(RISKS)
    return out


def routine_visits(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per routine inspection (business_id, date) with its label ``y`` (High Risk found)."""
    ins, vio = raw["inspections"], raw["violations"]
    visits = ins.loc[ins["type"] == ROUTINE, ["business_id", "date"]].drop_duplicates()
    # violations are recorded until the last violation date; later visits would all look clean
    visits = visits[visits["date"] <= vio["date"].max()]
    high = vio.loc[vio["risk"] == "high", ["business_id", "date"]].drop_duplicates().assign(y=1)
    visits = visits.merge(high, on=["business_id", "date"], how="left")
    visits["y"] = visits["y"].fillna(0).astype(int)
    return visits.sort_values(["date", "business_id"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- baseline features
def _days(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a - b).dt.days.astype(float)


def baseline_features(visits: pd.DataFrame, raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Point-in-time aggregates for each visit: only inspections/violations dated before it."""
    keys = visits[["business_id", "date"]].rename(columns={"date": "t"}).drop_duplicates()
    ins = raw["inspections"].assign(group=lambda f: f["type"].map(TYPE_GROUPS).fillna("other"))
    vio = raw["violations"]

    # ---- inspections strictly before t
    h = keys.merge(ins, on="business_id")
    h = h[h["date"] < h["t"]]
    g = h.groupby(["business_id", "t"])
    f = pd.DataFrame({
        "n_inspections": g.size(),
        "days_since_last_inspection": _days(g["t"].first(), g["date"].max()),
        "days_since_first_seen": _days(g["t"].first(), g["date"].min()),
    })
    for group in ("routine", "reinspection", "complaint", "new_ownership", "new_construction", "other"):
        f[f"n_{group}"] = h[h["group"] == group].groupby(["business_id", "t"]).size()
    recent = h[_days(h["t"], h["date"]) <= 365]
    f["n_complaint_365d"] = recent[recent["group"] == "complaint"].groupby(["business_id", "t"]).size()
    f["n_inspections_365d"] = recent.groupby(["business_id", "t"]).size()
    r = h[h["type"] == ROUTINE].sort_values("date")
    gr = r.groupby(["business_id", "t"])
    f["days_since_last_routine"] = _days(gr["t"].first(), gr["date"].max())
    f["last_score"] = gr["score"].last()
    f["mean_score"] = gr["score"].mean()
    f["min_score"] = gr["score"].min()

    # ---- violations strictly before t
    hv = keys.merge(vio, on="business_id")
    hv = hv[hv["date"] < hv["t"]]
    for risk in ("high", "moderate", "low"):
        sub = hv[hv["risk"] == risk]
        f[f"n_{risk}"] = sub.groupby(["business_id", "t"]).size()
        f[f"n_{risk}_365d"] = sub[_days(sub["t"], sub["date"]) <= 365].groupby(["business_id", "t"]).size()
    f["n_violation_types"] = hv.groupby(["business_id", "t"])["violationtypeid"].nunique()
    last_routine = gr["date"].max().rename("last_routine").reset_index()
    at_last = hv.merge(last_routine, on=["business_id", "t"])
    at_last = at_last[at_last["date"] == at_last["last_routine"]]
    for risk in ("high", "moderate", "low"):
        f[f"last_routine_{risk}"] = at_last[at_last["risk"] == risk].groupby(["business_id", "t"]).size()
    high_days = hv.loc[hv["risk"] == "high", ["business_id", "t", "date"]].drop_duplicates()
    routine_days = r[["business_id", "t", "date"]].drop_duplicates()
    f["routine_high_share"] = (
        routine_days.merge(high_days, on=["business_id", "t", "date"]).groupby(["business_id", "t"]).size()
        / gr.size()
    )

    out = keys.merge(f.reset_index(), on=["business_id", "t"], how="left")
    counts = [c for c in out.columns if c.startswith(("n_", "last_routine_"))]
    has_routine = out["days_since_last_routine"].notna()
    out[counts] = out[counts].fillna(0)
    # the last routine visit's counts are unknown (not 0) before the first routine visit
    out.loc[~has_routine, ["last_routine_high", "last_routine_moderate", "last_routine_low"]] = np.nan

    # ---- business attributes (static columns of businesses.csv)
    b = raw["businesses"].copy()
    postal = b["postal_code"].str.extract(r"^(\d{5})")[0]
    b["postal_code5"] = postal.where(postal.str.startswith("94"))
    b["latitude"] = pd.to_numeric(b["latitude"]).where(lambda s: s.between(37, 38.5))
    b["longitude"] = pd.to_numeric(b["longitude"]).where(lambda s: s.between(-123, -122))
    b["has_phone"] = b["phone_number"].notna().astype(float)
    b["chain_size"] = b.groupby(b["name"].str.upper().str.strip())["business_id"].transform("size").astype(float)
    attrs = b[["business_id", "postal_code5", "latitude", "longitude", "has_phone", "chain_size"]]
    out = out.merge(attrs, on="business_id", how="left")
    out["postal_code5"] = out["postal_code5"].astype("category")
    return visits[["business_id", "date"]].merge(
        out.rename(columns={"t": "date"}), on=["business_id", "date"], how="left"
    ).drop(columns=["business_id", "date"])


LGB_PARAMS = dict(
    objective="binary", learning_rate=0.03, num_leaves=15, min_child_samples=40,
    subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, verbose=-1,
)


def fit_baseline(X: pd.DataFrame, y: np.ndarray, dates: pd.Series, *, threads: int, seed: int):
    """LightGBM with early stopping on the last 20 % of the training dates, refit on all of them."""
    cut = dates.quantile(0.8)
    fit, val = (dates < cut).to_numpy(), (dates >= cut).to_numpy()
    probe = lgb.LGBMClassifier(n_estimators=3000, random_state=seed, n_jobs=threads, **LGB_PARAMS)
    probe.fit(X[fit], y[fit], eval_X=(X[val],), eval_y=(y[val],), eval_metric="auc",
              callbacks=[lgb.early_stopping(100, verbose=False)])
    n_trees = max(int(probe.best_iteration_ or 100), 20)
    model = lgb.LGBMClassifier(n_estimators=n_trees, random_state=seed, n_jobs=threads, **LGB_PARAMS)
    model.fit(X, y)
    return model


# ----------------------------------------------------------------------------- targeting metrics
def targeting(y: np.ndarray, score: np.ndarray, days: np.ndarray, w: np.ndarray | None = None) -> dict:
    """Days earlier and first-half share when visits are re-ordered by ``score`` into the same slots.

    ``days`` are the visits' actual dates (integer days), ``w`` optional integer multiplicities
    (bootstrap counts). Ties in ``score`` keep the actual date order. Returns the score's
    figures and the exact expectation under a random order.
    """
    w = np.ones(len(y), dtype=float) if w is None else np.asarray(w, dtype=float)
    keep = w > 0
    y, score, days, w = y[keep], score[keep], days[keep], w[keep]
    slots = np.repeat(np.sort(days), w[np.argsort(days, kind="stable")].astype(int))
    order = np.lexsort((days, -score))  # highest score first, ties by actual date
    reps = w[order].astype(int)
    ranked_days, ranked_y = np.repeat(days[order], reps), np.repeat(y[order], reps)
    events = ranked_y == 1
    if not events.any():
        return dict.fromkeys(("days_earlier", "first_half", "random_days_earlier", "random_first_half"),
                             float("nan"))
    mid = slots[0] + (slots[-1] - slots[0]) / 2
    first = slots < mid
    return {
        "days_earlier": float(np.mean(ranked_days[events] - slots[events])),
        "first_half": float(np.mean(first[events])),
        "random_days_earlier": float(np.mean(ranked_days[events]) - np.mean(slots)),
        "random_first_half": float(np.mean(first)),
        "actual_first_half": float(np.mean((ranked_days < mid)[events])),
    }


def paired_bootstrap(y, days, scores: dict[str, np.ndarray], *, n_boot: int, seed: int) -> dict:
    """Point figures and 95 % intervals of AUC and targeting for every scorer on the same replicates."""
    rng = np.random.default_rng(seed)
    n = len(y)
    names = list(scores)

    def figures(w):
        out = {}
        for name in names:
            t = targeting(y, scores[name], days, w)
            auc = binary_metrics(y, scores[name], w)["auc"]
            out[name] = {"auc": auc, **t}
        return out

    point = figures(np.ones(n))
    reps = [figures(rng.poisson(1.0, n)) for _ in range(n_boot)]
    result = {}
    for name in names:
        result[name] = {}
        for key, value in point[name].items():
            draws = np.array([r[name][key] for r in reps])
            draws = draws[np.isfinite(draws)]
            lo, hi = np.quantile(draws, [0.025, 0.975])
            result[name][key] = (value, float(lo), float(hi))
    result["_replicates"] = reps
    return result


def difference(boot: dict, a: str, b: str, key: str) -> tuple[float, float, float]:
    """Paired difference ``a − b`` of one figure with its 95 % bootstrap interval."""
    d = np.array([r[a][key] - r[b][key] for r in boot["_replicates"]])
    d = d[np.isfinite(d)]
    lo, hi = np.quantile(d, [0.025, 0.975])
    return boot[a][key][0] - boot[b][key][0], float(lo), float(hi)


# ----------------------------------------------------------------------------- main
def fmt(t: tuple[float, float, float], digits: int = 3) -> str:
    return f"{t[0]:.{digits}f} [{t[1]:.{digits}f}, {t[2]:.{digits}f}]"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="LIVES folder (dannguyen_2014-2017 layout)")
    ap.add_argument("--test-share", type=float, default=0.25)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "real_data.json"))
    args = ap.parse_args(argv)
    folder = Path(args.data)
    if not (folder / "inspections_plus.csv").exists():
        print(f"no LIVES data at {folder}: nothing to do")
        sys.exit(0)
    t0 = time.perf_counter()
    raw = read_raw(folder)
    visits = routine_visits(raw)
    test_start = visits["date"].quantile(1 - args.test_share, interpolation="higher")
    test = (visits["date"] >= test_start).to_numpy()
    y = visits["y"].to_numpy()
    print(f"routine inspections {len(visits):,} ({visits['date'].min():%Y-%m-%d} → {visits['date'].max():%Y-%m-%d}),"
          f" High Risk found in {y.mean():.1%}; test from {test_start:%Y-%m-%d}: {test.sum():,} visits,"
          f" {y[test].sum():,} adverse")

    t1 = time.perf_counter()
    X = baseline_features(visits, raw)
    model = fit_baseline(X[~test], y[~test], visits.loc[~test, "date"], threads=args.threads, seed=args.seed)
    baseline = model.predict_proba(X[test])[:, 1]
    t_baseline = time.perf_counter() - t1
    gain = pd.Series(model.booster_.feature_importance("gain"), index=X.columns).sort_values(ascending=False)
    print(f"baseline: {X.shape[1]} features, {model.n_estimators} trees, {t_baseline:.1f} s")

    yt = y[test]
    days = (visits.loc[test, "date"] - visits["date"].min()).dt.days.to_numpy()
    scores = {"baseline": baseline}
    boot = paired_bootstrap(yt, days, scores, n_boot=args.n_boot, seed=args.seed)

    rows = []
    for name in scores:
        f = boot[name]
        rows.append({"scorer": name, "AUC": fmt(f["auc"]), "days earlier": fmt(f["days_earlier"], 1),
                     "first-half share": fmt(f["first_half"])})
    f = boot["baseline"]
    rows.append({"scorer": "random order", "AUC": "0.5", "days earlier": fmt(f["random_days_earlier"], 1),
                 "first-half share": fmt(f["random_first_half"])})
    rows.append({"scorer": "actual order", "AUC": "", "days earlier": "0 (by definition)",
                 "first-half share": fmt(f["actual_first_half"])})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(f"\nSan Francisco, out of time (test {test.sum():,} routine visits, {len(set(days))} visit days;"
          f" {args.n_boot} paired-bootstrap replicates, 95 % intervals):")
    print(table.to_string(index=False))
    print("\nbaseline feature gain (share of total):")
    print((gain / gain.sum()).head(15).round(3).to_string())
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    result = {"test_start": str(test_start.date()), "test_rows": int(test.sum()), "test_events": int(yt.sum()),
              "figures": {k: v for k, v in boot.items() if not k.startswith("_")},
              "gain": (gain / gain.sum()).round(4).to_dict()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    return result


if __name__ == "__main__":
    main()
