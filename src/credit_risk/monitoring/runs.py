"""Run records: what a scoring run saw and produced, kept so that any two runs compare without re-scoring.

:func:`write_run_record` writes, beside a scores Parquet, one folder per run in the run
history (default ``<scores folder>/runs/<run id>/``):

``snapshot.parquet``  one row per scored subject: keys, ``probability``, ``tier``, the
                      segment columns (``region``, ``industry``, ``entity_type``,
                      ``established_on``), the departments a visit would involve, the
                      serious negative records counting at the as-of date (count and the
                      latest one), the feature values (``f:<name>``) and, unless disabled,
                      the TreeSHAP contributions (``c:<name>``, ``c:__base__``)
``run.json``          as-of, model name/version/bundle sha256, data fingerprint, library
                      version, row count, tier counts, score quantiles, and per variable
                      (score and every feature) the reference bins and counts that PSI and
                      CSI need, plus the sha256 of the scores and snapshot files

Every file is written atomically and ``run.json`` last: a folder without it is an
unfinished run and is never read. The run id is a digest of the data fingerprint, the
model's sha256, the as-of date(s) and the scores' sha256, so recording the same run twice
gives the same folder and bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_risk import __version__
from credit_risk.atomic import sha256_file, write_parquet, write_text
from credit_risk.data.publication import counts_at
from credit_risk.exceptions import ConfigError, DataContractError
from credit_risk.monitoring.config import MonitoringConfig
from credit_risk.monitoring.psi import Bins, reference_bins

if TYPE_CHECKING:
    from credit_risk.data import CreditDataset
    from credit_risk.features import FeatureMatrix
    from credit_risk.scheduler.policy import InspectionPolicy
    from credit_risk.store.bundle import ModelBundle

__all__ = ["FORMAT", "RUN_FILE", "SNAPSHOT_FILE", "Run", "find_run", "load_run", "record_run", "serious_records",
           "write_run_record"]

logger = logging.getLogger(__name__)

FORMAT = "credit_risk.run_record/1"
RUN_FILE = "run.json"
SNAPSHOT_FILE = "snapshot.parquet"
SEGMENT_COLUMNS = ("region", "industry", "entity_type", "established_on")
FEATURE_PREFIX = "f:"
CONTRIB_PREFIX = "c:"
BASE = "c:__base__"


@dataclass(frozen=True, eq=False)
class Run:
    """A recorded run: its folder, ``run.json`` and (read on demand) its snapshot."""

    path: Path
    meta: dict[str, Any]
    _snapshot: list[pd.DataFrame] = field(default_factory=list, repr=False)

    @property
    def run_id(self) -> str:
        return str(self.meta["run_id"])

    @property
    def as_of(self) -> str:
        return str(self.meta["as_of"])

    @property
    def features(self) -> list[str]:
        return list(self.meta["features"])

    @property
    def snapshot(self) -> pd.DataFrame:
        """The per-subject table (read once, checked against the sha256 in ``run.json``)."""
        if not self._snapshot:
            file = self.path / SNAPSHOT_FILE
            if not file.exists():
                raise ConfigError(f"run {self.path}: {SNAPSHOT_FILE} is missing; record the run again")
            if sha256_file(file) != self.meta["snapshot"]["sha256"]:
                raise DataContractError(
                    f"run {self.path}: {SNAPSHOT_FILE} does not match the sha256 in {RUN_FILE} (altered after the "
                    "run); record the run again from its scores"
                )
            self._snapshot.append(pd.read_parquet(file))
        return self._snapshot[0]

    def bins(self, variable: str) -> Bins:
        """The reference bins of ``score`` or a feature, as recorded."""
        return Bins.from_mapping(self._variable(variable)["bins"])

    def counts(self, variable: str) -> np.ndarray:
        return np.asarray(self._variable(variable)["counts"], dtype=np.int64)

    def _variable(self, variable: str) -> dict[str, Any]:
        if variable == "score":
            return self.meta["score"]
        try:
            return self.meta["features"][variable]
        except KeyError:
            raise ConfigError(f"run {self.path} has no feature {variable!r}; it records {self.features[:10]}") from None


def load_run(path: str | Path) -> Run:
    """A run from its folder (or its ``run.json``).

    Raises
    ------
    ConfigError
        No run record there, or one of another format.
    """
    folder = Path(path)
    if folder.is_file() and folder.name == RUN_FILE:
        folder = folder.parent
    file = folder / RUN_FILE
    if not file.is_file():
        raise ConfigError(
            f"{folder} holds no {RUN_FILE}; pass a run folder written by credit-risk score (runs/<run id>/)"
        )
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file} cannot be read as JSON ({exc}); record the run again") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ConfigError(f"{file}: format {got!r} is not {FORMAT!r}; record the run with this version")
    return Run(folder, meta)


def find_run(history: str | Path, scores: str | Path) -> Path:
    """The folder of the run record of a scores file in a run history (matched on the scores' sha256).

    Raises
    ------
    ConfigError
        No run in ``history`` recorded these scores.
    """
    scores_path = Path(scores)
    sha = sha256_file(scores_path)
    found = []
    for file in sorted(Path(history).glob(f"*/{RUN_FILE}")):
        try:
            meta = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable record is no match; load_run names the problem when it is asked for
        if isinstance(meta, dict) and meta.get("format") == FORMAT and meta.get("scores", {}).get("sha256") == sha:
            found.append(file.parent)
    if not found:
        raise ConfigError(
            f"run history {history} holds no run record of {scores_path.name} (sha256 {sha[:12]}…); score with "
            "run_history= (credit-risk score writes it by default) or call record_run"
        )
    return found[-1]


def serious_records(dataset: CreditDataset, as_of: Any, *, severity: str = "serious") -> pd.DataFrame:
    """Serious negative records counting at ``as_of``, per subject.

    A record is serious when its kind's polarity is negative and its severity ranks at or
    above ``severity`` on the kind's scale (the top of the scale when ``severity`` is not on
    it). Returns ``credit_code, n_serious, serious_record_id, serious_kind, serious_on,
    serious_source`` (the latest such record by publication date), one row per subject
    holding at least one.
    """
    catalog = dataset.catalog
    rec = dataset.records
    negative = [k for k, spec in catalog.kinds.items() if spec.polarity == "negative"]
    rec = rec[rec["kind"].astype(str).isin(negative)]
    empty = pd.DataFrame({"credit_code": pd.Series(dtype=object), "n_serious": pd.Series(dtype=np.int64),
                          "serious_record_id": pd.Series(dtype=object), "serious_kind": pd.Series(dtype=object),
                          "serious_on": pd.Series(dtype="datetime64[ns]"), "serious_source": pd.Series(dtype=object)})
    if rec.empty:
        return empty
    rec = rec[counts_at(rec, catalog, pd.Timestamp(as_of))]
    if rec.empty:
        return empty
    kinds = rec["kind"].astype(str).to_numpy(dtype=object)
    ranks = catalog.severity_ranks(kinds, rec["severity"].astype(object).to_numpy())
    threshold = np.array([
        float(catalog.scale(k).index(severity)) if severity in catalog.scale(k) else float(len(catalog.scale(k)) - 1)
        for k in kinds
    ]) if len(kinds) else np.zeros(0)
    rec = rec[np.nan_to_num(ranks, nan=-1.0) >= threshold]
    if rec.empty:
        return empty
    known = pd.to_datetime(rec["published_on"]).fillna(pd.to_datetime(rec["start"]))
    rec = rec.assign(_known=known).sort_values(["credit_code", "_known", "record_id"], kind="stable")
    g = rec.groupby("credit_code", sort=True)
    last = g.tail(1).set_index("credit_code")
    out = pd.DataFrame({"n_serious": g.size().astype(np.int64)})
    out["serious_record_id"] = last["record_id"].astype(str)
    out["serious_kind"] = last["kind"].astype(str)
    out["serious_on"] = last["_known"].astype("datetime64[ns]")
    out["serious_source"] = last["source"].astype(object).where(last["source"].notna(), None)
    out.index = out.index.astype(str)
    return out.reset_index(names="credit_code")


def _departments(dataset: CreditDataset, codes: pd.Series, as_of: pd.Timestamp,
                 policy: InspectionPolicy | None) -> np.ndarray:
    """The departments a visit to each subject would involve (the plan's joint visit), ``;``-joined."""
    from credit_risk.scheduler import joint_visits, load_policy, subjects_from_dataset

    policy = policy if policy is not None else load_policy()
    tiers = pd.DataFrame({"credit_code": codes.astype(str).to_numpy(), "tier": "A"}).drop_duplicates("credit_code")
    subjects = subjects_from_dataset(dataset, tiers, as_of=as_of)
    combo, jv = joint_visits(subjects["domains"], policy)
    depts = pd.Series([";".join(jv.departments[c]) for c in combo], index=subjects["credit_code"].astype(str))
    return depts.reindex(codes.astype(str).to_numpy()).to_numpy(dtype=object)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_run_record(
    scores: str | Path,
    *,
    features: FeatureMatrix,
    dataset: CreditDataset,
    model_name: str,
    model_version: str,
    model_sha256: str,
    contributions: np.ndarray | None = None,
    history: str | Path | None = None,
    config: MonitoringConfig | None = None,
    policy: InspectionPolicy | None = None,
) -> Path:
    """Write the run record of a scores file; return the run folder.

    Parameters
    ----------
    scores : path
        The scores Parquet of :func:`~credit_risk.pipeline.score.score_dataset` (or
        ``score_cutoffs``); its rows are aligned with ``features``.
    features : FeatureMatrix
        The features the run scored (the bundle's selection), row for row.
    dataset : CreditDataset
        The data scored (fingerprint, segments, serious records, departments).
    model_name, model_version, model_sha256 : str
        The model as :func:`~credit_risk.pipeline.score.resolve_model` gave it.
    contributions : array, optional
        TreeSHAP log-odds contributions of ``features`` (n, p + 1), last column the base;
        stored when ``config.runs.contributions``.
    history : path, optional
        Run-history folder (default ``<scores folder>/runs``).
    config : MonitoringConfig, optional
        Binning and quantile settings (default: the packaged ``monitoring.yaml``).
    policy : InspectionPolicy, optional
        For the departments of each subject (default: the packaged policy).
    """
    from credit_risk.monitoring.config import load_monitoring_config

    config = config if config is not None else load_monitoring_config()
    scores_path = Path(scores)
    # the columns the record reads (not the reasons and portrait, most of the file)
    frame = pd.read_parquet(scores_path, columns=["credit_code", "as_of", "probability", "tier"])
    if len(frame) != len(features.X):
        raise DataContractError(
            f"{scores_path.name} has {len(frame):,} rows but the features {len(features.X):,}; pass the features "
            "the run scored, row for row"
        )
    keys = features.keys.reset_index(drop=True)
    if not (frame["credit_code"].astype(str).to_numpy() == keys["credit_code"].astype(str).to_numpy()).all():
        raise DataContractError(f"{scores_path.name}: credit_code differs from the features' keys; pass the "
                                "features of this scores file, in its row order")
    as_of_values = pd.to_datetime(frame["as_of"])
    dates = sorted({d.date().isoformat() for d in as_of_values.drop_duplicates()})
    as_of = dates[0] if len(dates) == 1 else f"{dates[0]}..{dates[-1]} ({len(dates)} dates)"
    when = pd.Timestamp(dates[-1])

    snap = pd.DataFrame({"credit_code": frame["credit_code"].astype(str).to_numpy(),
                         "as_of": as_of_values.to_numpy(dtype="datetime64[ns]"),
                         "probability": frame["probability"].to_numpy(dtype=float),
                         "tier": frame["tier"].astype(str).to_numpy(dtype=object)})
    ent = dataset.enterprises.assign(credit_code=dataset.enterprises["credit_code"].astype(str))
    ent = ent.drop_duplicates("credit_code").set_index("credit_code")
    segments = ent[[c for c in SEGMENT_COLUMNS if c in ent.columns]].reindex(snap["credit_code"].to_numpy())  # one lookup
    for col in SEGMENT_COLUMNS:
        if col in segments.columns:
            values = segments[col]
            snap[col] = (values.to_numpy(dtype="datetime64[ns]") if col == "established_on"
                         else values.astype(object).where(values.notna(), None).to_numpy())
    try:
        snap["departments"] = _departments(dataset, snap["credit_code"], when, policy)
    except Exception as exc:  # departments are a convenience for the warning list: never fail a run on them
        logger.warning("run record: departments not derived (%s: %s)", type(exc).__name__, exc)
        snap["departments"] = None
    serious = serious_records(dataset, when, severity=config.warning.serious_severity).set_index("credit_code")
    serious = serious.reindex(snap["credit_code"].to_numpy())
    snap["n_serious"] = serious["n_serious"].fillna(0).to_numpy(dtype=np.int64)
    for col in ("serious_record_id", "serious_kind", "serious_source"):
        snap[col] = serious[col].astype(object).where(serious[col].notna(), None).to_numpy()
    snap["serious_on"] = serious["serious_on"].to_numpy(dtype="datetime64[ns]")

    names = [str(c) for c in features.X.columns]
    X = features.X.reset_index(drop=True)
    info = {i.name: i for i in features.info}
    feature_meta: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    store_contrib = contributions is not None and config.runs.contributions
    if contributions is not None and contributions.shape != (len(X), len(names) + 1):
        raise DataContractError(
            f"contributions have shape {contributions.shape}, expected {(len(X), len(names) + 1)} (features + base)"
        )
    for j, name in enumerate(names):
        col = X[name]
        categorical = bool(getattr(info.get(name), "categorical", False)) or isinstance(col.dtype, pd.CategoricalDtype)
        values = col.astype(object).where(col.notna(), None) if categorical else pd.to_numeric(col, errors="coerce")
        bins = reference_bins(values, n_bins=config.psi.bins, special_values=config.psi.special_values,
                              categorical=categorical)
        idx = bins.assign(values)
        counts = np.bincount(idx, minlength=bins.n_bins)
        meta: dict[str, Any] = {
            "description": getattr(info.get(name), "description", name),
            "description_zh": getattr(info.get(name), "description_zh", name),
            "view": getattr(info.get(name), "view", "context"),
            "bins": bins.to_mapping(), "labels": bins.labels(), "counts": counts.tolist(),
        }
        if contributions is not None:
            sums = np.bincount(idx, weights=contributions[:, j], minlength=bins.n_bins)
            meta["mean_contribution"] = [_jsonable(float(s / c)) if c else None for s, c in zip(sums, counts, strict=True)]
        feature_meta[name] = meta
        extra[FEATURE_PREFIX + name] = (values.astype(str).where(values.notna(), None).to_numpy(dtype=object)
                                        if categorical else values.to_numpy(dtype=np.float32))
        if store_contrib:
            extra[CONTRIB_PREFIX + name] = contributions[:, j].astype(np.float32)
    if store_contrib:
        extra[BASE] = contributions[:, -1].astype(np.float32)
    snap = pd.concat([snap, pd.DataFrame(extra)], axis=1)

    p = snap["probability"].to_numpy(dtype=float)
    score_bins = reference_bins(p, n_bins=config.psi.bins, special_values=(), categorical=False)
    tier_counts = snap["tier"].value_counts().sort_index()
    scores_sha = sha256_file(scores_path)
    digest = hashlib.sha256()
    fingerprint = dataset.fingerprint()  # hashes every table: once
    for part in (fingerprint, model_sha256, as_of, scores_sha):
        digest.update(str(part).encode() + b"\0")
    run_id = f"{dates[-1]}_{digest.hexdigest()[:12]}"
    folder = Path(history) if history is not None else scores_path.parent / "runs"
    folder = folder / run_id
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(snap, folder / SNAPSHOT_FILE)
    meta = {
        "format": FORMAT,
        "run_id": run_id,
        "as_of": as_of,
        "as_of_dates": dates if len(dates) <= 100 else [dates[0], dates[-1]],
        "library_version": __version__,
        "model": {"name": model_name, "version": model_version, "sha256": model_sha256},
        "data_fingerprint": fingerprint,
        "region_scheme": getattr(dataset.manifest, "region_scheme", "gb2260"),
        "rows": len(snap),
        "tier_counts": {str(k): int(v) for k, v in tier_counts.items()},
        "score_quantiles": {f"{q:g}": float(np.quantile(p, q)) if len(p) else None for q in config.runs.quantiles},
        "score_mean": float(p.mean()) if len(p) else None,
        "score": {"bins": score_bins.to_mapping(), "labels": score_bins.labels(),
                  "counts": score_bins.counts(p).tolist()},
        "kind_names": {k: spec.name_zh for k, spec in dataset.catalog.kinds.items()
                       if spec.polarity == "negative" and getattr(spec, "name_zh", None)},
        "segments": [c for c in SEGMENT_COLUMNS if c in snap.columns and snap[c].notna().any()],
        "contributions": bool(store_contrib),
        "features": feature_meta,
        "scores": {"file": scores_path.name, "sha256": scores_sha, "rows": len(frame)},
        "snapshot": {"file": SNAPSHOT_FILE, "sha256": sha256_file(folder / SNAPSHOT_FILE)},
    }
    write_text(folder / RUN_FILE, json.dumps(meta, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    logger.info("run record %s: %d subjects as of %s", folder, len(snap), as_of)
    return folder


def record_run(
    scores: str | Path,
    bundle: ModelBundle,
    dataset: CreditDataset,
    *,
    model_name: str,
    model_version: str,
    model_sha256: str,
    history: str | Path | None = None,
    config: MonitoringConfig | None = None,
    policy: InspectionPolicy | None = None,
) -> Path:
    """The run record of a scores file written earlier, rebuilding its features.

    For scores written without a record: :func:`~credit_risk.pipeline.score.score_dataset`
    and ``score_cutoffs`` with ``run_history=`` (and so ``credit-risk score``) write the same
    record from their own scoring pass, handing over the feature matrix they scored and the
    contributions they computed chunk by chunk (:func:`write_run_record`), and so skip the cost
    here: the features are rebuilt for the scores' own ``(credit_code, as_of)`` rows with the
    bundle's feature spec, exactly as the scorer built them, and the contributions of every row
    come from the bundle's generic model (exact TreeSHAP, tens of times the cost of the prediction).
    """
    import yaml

    from credit_risk.config import from_mapping
    from credit_risk.exceptions import ModelError
    from credit_risk.features import FeatureSpec, build_features

    # the spec as pipeline.score.bundle_feature_spec reads it: the scorer imports this module,
    # so this module does not import the scorer
    text = bundle.config.get("feature_spec_yaml")
    if not text:
        raise ModelError("the model bundle carries no feature spec (config.feature_spec_yaml); retrain it with credit-risk train")
    spec = from_mapping(FeatureSpec, yaml.safe_load(text), where="bundle feature spec")
    keys = pd.read_parquet(scores, columns=["credit_code", "as_of"])
    keys = keys.assign(as_of=pd.to_datetime(keys["as_of"]).astype("datetime64[ns]"))
    fm = build_features(dataset, keys, spec).select(bundle.feature_names)
    generic = bundle.model.generic
    names = list(generic.feature_names_in_)
    fm = fm.select(names)
    cfg = config
    if cfg is None:
        from credit_risk.monitoring.config import load_monitoring_config

        cfg = load_monitoring_config()
    contributions = generic.raw_contributions(fm.X[names]) if cfg.runs.contributions else None
    return write_run_record(scores, features=fm, dataset=dataset, model_name=model_name,
                            model_version=model_version, model_sha256=model_sha256, contributions=contributions,
                            history=history, config=cfg, policy=policy)
