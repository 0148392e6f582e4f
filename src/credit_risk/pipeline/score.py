"""Batch scoring: every subject of a dataset as of a date → probability, tier, reasons, portrait.

:func:`score_dataset` is what ``credit-risk score`` runs for the monthly job;
:func:`score_cutoffs` (``credit-risk score --cutoffs FILE``) scores each ``(credit_code,
as_of)`` row as of its own date instead. Both build the
point-in-time features of every subject active on the as-of date in one vectorised pass (so
province-wide context and related-party features are exactly those of a single run), checks
them against the model bundle, then scores, tiers and explains them chunk by chunk with
bounded memory, writing through :func:`credit_risk.chunked.write_chunked`: a killed run leaves
no output file and a re-run resumes to the same bytes.

Reasons and the per-view portrait come from exact TreeSHAP contributions, which cost tens of
times the prediction itself; :class:`ReasonsFor` chooses the subjects who get them (the monthly
job's default: tiers C and D, plus any subjects named, e.g. those who ask or the early-warning
list). Everyone else gets a probability and a tier at close to raw prediction speed, and empty
reason and portrait columns. The selected subjects' reasons are identical to those of scoring
everyone: TreeSHAP values of a row do not depend on the other rows.

With ``run_history=`` the run record (:mod:`credit_risk.monitoring.runs`) is written from the
same pass: the feature matrix scored and, for drift attribution and the early warning's
reasons, every row's contributions (the explained rows' reused, the others' computed chunk by
chunk; a resumed run computes those of the chunks it reuses).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
import yaml

from credit_risk import __version__
from credit_risk.chunked import write_chunked
from credit_risk.config import from_mapping
from credit_risk.data import CreditDataset
from credit_risk.data.cutoffs import active_cutoffs, checked_cutoffs
from credit_risk.engine import check_engine
from credit_risk.exceptions import ConfigError, ModelError
from credit_risk.explain import Explainer, TopReasons
from credit_risk.features import FeatureMatrix, FeatureSpec, build_features
from credit_risk.features.matrix import VIEWS
from credit_risk.models.domain import industry_of
from credit_risk.models.generic import GenericRiskModel
from credit_risk.store.bundle import BUNDLE_FILE, ModelBundle, load_bundle

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from credit_risk.features.matrix import FeatureInfo
    from credit_risk.models.domain import DomainConfig, DomainModel
    from credit_risk.models.scorecard import ExpertScorecard
    from credit_risk.models.tiers import RiskTiers
    from credit_risk.monitoring.config import MonitoringConfig
    from credit_risk.pipeline.evaluate import ModelReport

__all__ = [
    "MONTHLY_REASONS_FOR",
    "ReasonsFor",
    "ResolvedModel",
    "TrainedModels",
    "active_cutoffs",
    "bundle_feature_spec",
    "event_probability",
    "iter_scores",
    "resolve_model",
    "score_cutoffs",
    "score_dataset",
    "score_chunk",
    "score_frame",
]

logger = logging.getLogger(__name__)


@contextmanager
def _phase(name: str) -> Iterator[None]:
    """Log ``phase <name> <seconds> <cpu seconds>`` at debug level (what benchmarks/province.py adds up)."""
    start, cpu = time.perf_counter(), time.process_time()
    yield
    logger.debug("phase %s %.6f %.6f", name, time.perf_counter() - start, time.process_time() - cpu)


@dataclass(frozen=True)
class ReasonsFor:
    """The subjects who get reasons and a portrait; everyone else gets a probability and a tier only.

    A subject is selected when its final tier (after overrides and hysteresis) is one of
    ``tiers`` or its credit code is one of ``codes``. Its reasons and portrait are exactly those
    of scoring everyone; the others' reason and portrait columns are empty (missing).

    Parameters
    ----------
    tiers : tuple of str, or None
        Tier labels whose subjects get reasons; None: every tier (all subjects).
    codes : tuple of str
        Credit codes that get reasons whatever their tier: subjects who ask, the early-warning
        list (``credit-risk warn``), a grid's visit list.

    Examples
    --------
    >>> ReasonsFor.parse("C,D")
    ReasonsFor(tiers=('C', 'D'), codes=())
    >>> ReasonsFor.parse("all").mask(np.array(["A", "D"]), np.array(["x", "y"])).tolist()
    [True, True]
    >>> ReasonsFor(tiers=("D",), codes=("x",)).mask(np.array(["A", "B", "D"]), np.array(["x", "y", "z"])).tolist()
    [True, False, True]
    """

    tiers: tuple[str, ...] | None = ("C", "D")
    codes: tuple[str, ...] = ()

    def __post_init__(self):
        if self.tiers is not None:
            object.__setattr__(self, "tiers", tuple(str(t) for t in self.tiers))
        object.__setattr__(self, "codes", tuple(str(c) for c in self.codes))

    @classmethod
    def parse(cls, value: ReasonsFor | str | Iterable[str] | None, *, codes: Iterable[str] = ()) -> ReasonsFor:
        """A selection from ``"all"``, ``"none"``, tier labels (``"C,D"`` or a list), or a ReasonsFor.

        ``codes`` adds credit codes to the selection.

        Raises
        ------
        ConfigError
            ``value`` is empty or of another type.
        """
        extra = tuple(dict.fromkeys(str(c) for c in codes))
        if isinstance(value, ReasonsFor):
            return cls(value.tiers, tuple(dict.fromkeys(value.codes + extra))) if extra else value
        if value is None:
            return cls(None, extra)
        if isinstance(value, str):
            text = value.strip()
            if text.lower() == "all":
                return cls(None, extra)
            if text.lower() == "none":
                return cls((), extra)
            value = text.split(",")
        if not isinstance(value, Iterable):
            raise ConfigError(f"reasons_for: expected 'all', 'none', tier labels such as 'C,D' or a ReasonsFor; "
                              f"got {value!r}")
        tiers = tuple(dict.fromkeys(str(t).strip() for t in value))
        if not tiers or any(not t for t in tiers):
            raise ConfigError(f"reasons_for: an empty tier label in {value!r}; give tier labels such as 'C,D', "
                              "or 'all' or 'none'")
        return cls(tiers, extra)

    def check(self, labels: Iterable[str]) -> None:
        """Refuse tiers the model does not have (before any work).

        Raises
        ------
        ConfigError
            A tier label is not among ``labels``.
        """
        labels = [str(x) for x in labels]
        unknown = [t for t in (self.tiers or ()) if t not in labels]
        if unknown:
            raise ConfigError(f"reasons_for: tier(s) {unknown} are not tiers of this model ({labels}); "
                              "name tiers among them, or 'all' or 'none'")

    def mask(self, tiers: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Which rows (final ``tiers`` and ``codes``, row-aligned) get reasons."""
        n = len(tiers)
        if self.tiers is None:
            return np.ones(n, dtype=bool)
        chosen = (np.isin(np.asarray(tiers, dtype=object), np.asarray(self.tiers, dtype=object)) if self.tiers
                  else np.zeros(n, dtype=bool))
        if self.codes:
            chosen |= pd.Index(np.asarray(codes, dtype=object)).isin(self.codes)
        return chosen

    def digest(self) -> str:
        """Identifies the selection in the output's fingerprint (a resumed run never mixes selections)."""
        tiers = "all" if self.tiers is None else ",".join(self.tiers)
        codes = hashlib.sha256("\0".join(sorted(self.codes)).encode()).hexdigest()[:16] if self.codes else ""
        return f"{tiers}|{codes}"


#: The monthly job's default (:func:`score_dataset`, :func:`score_cutoffs`, ``credit-risk score``):
#: reasons for the subjects who will see them, tiers C and D (about a fifth of a province with the
#: packaged tier shares). The in-memory calls (:func:`score_chunk`, :func:`score_frame`,
#: :meth:`TrainedModels.score`) explain every row they are given: the caller chose those rows.
MONTHLY_REASONS_FOR = ReasonsFor(tiers=("C", "D"))


class ResolvedModel(NamedTuple):
    """A verified bundle with its registered name, version and the sha256 it was verified against."""

    bundle: ModelBundle
    name: str
    version: str
    sha256: str


def resolve_model(model: str, tracking_uri: str, cache: str | Path, *, sha256: str | None = None) -> ResolvedModel:
    """A verified bundle from a registry URI (``models:/name@alias``) or a bundle path (file or folder).

    A registry model is verified against the registry's ``bundle_sha256`` tag; a bundle path
    needs ``sha256`` (``credit-risk score --sha256``): nothing is unpickled before its bytes
    match the pin (see :func:`credit_risk.store.bundle.load_bundle`).
    """
    from credit_risk.store.tracking import download_bundle

    if model.startswith("models:/"):
        folder, meta = download_bundle(model, tracking_uri=tracking_uri, dest=cache)
        sha = meta["bundle_sha256"]
        if sha256 is not None and sha256.strip().lower() != sha:
            raise ModelError(
                f"{model}: --sha256 {sha256.strip()[:12]}… differs from the registry's bundle_sha256 {sha[:12]}… "
                f"of {meta['name']} v{meta['version']}; drop --sha256 or pin the version you mean"
            )
        bundle = load_bundle(folder / BUNDLE_FILE, sha256=sha)
        name, version = meta["name"], meta["version"]
    else:
        path = Path(model)
        path = path / BUNDLE_FILE if path.is_dir() else path
        bundle = load_bundle(path, sha256=sha256)
        sha = str(sha256).strip().lower()
        name, version = "credit_risk_" + str(bundle.config.get("output", "generic")), ""
    return ResolvedModel(bundle, name, version or f"sha256:{sha[:12]}", sha)


@dataclass(eq=False)
class TrainedModels:
    """Everything :func:`~credit_risk.pipeline.fit.fit_models` learned, plus its evaluation: the model set that is scored.

    Attributes
    ----------
    generic : GenericRiskModel
    domains : dict of DomainModel
    domain_configs : dict of DomainConfig
    scorecard : ExpertScorecard or None
        The learned scorecard baseline.
    rules_scorecard : ExpertScorecard or None
        The approved rule set, when its features exist.
    tiers : RiskTiers
    feature_info : tuple of FeatureInfo
        Every feature the models read (generic + domain extras).
    report : ModelReport
        What the run measured (:class:`~credit_risk.pipeline.evaluate.ModelReport`).
    figures : dict of matplotlib Figure
        ROC, calibration, tiers, importance. Not pickled with the models.
    """

    generic: GenericRiskModel
    domains: dict[str, DomainModel]
    domain_configs: dict[str, DomainConfig]
    scorecard: ExpertScorecard | None
    rules_scorecard: ExpertScorecard | None
    tiers: RiskTiers
    feature_info: tuple[FeatureInfo, ...]
    report: ModelReport | None = None
    figures: dict[str, Figure] = field(default_factory=dict)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["figures"] = {}  # figures belong to the run's artefacts, not to the model bundle
        # per-row held-out scores (one row per test inspection) are the run's, not the bundle's
        report = self.report
        state["report"] = (report.without_test_scores() if hasattr(report, "without_test_scores")
                           else {k: v for k, v in report.items() if k != "test_scores"})  # a bundle of an older release
        return state

    @property
    def feature_names(self) -> list[str]:
        return [i.name for i in self.feature_info]

    def iter_scores(
        self,
        features: FeatureMatrix,
        *,
        k: int = 5,
        previous: pd.DataFrame | None = None,
        enterprises: pd.DataFrame | None = None,
        text: bool = True,
        chunk_size: int = 100_000,
        reasons_for: ReasonsFor | str = "all",
    ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """Score subjects chunk by chunk: ``(scores, reasons)`` per chunk (:func:`~credit_risk.pipeline.score.iter_scores`).

        With ``enterprises`` (for the industry) ``scores`` also holds ``p_<domain>`` for the
        subjects each domain model covers (missing elsewhere). ``reasons_for``
        (:class:`ReasonsFor`) chooses who gets reasons (default: every row).
        """
        industry = None
        if enterprises is not None and self.domains:
            industry = industry_of(features.keys["credit_code"], enterprises)
        yield from iter_scores(self, features, k=k, previous=previous, industry=industry, text=text,
                               chunk_size=chunk_size, reasons_for=reasons_for)

    def score(self, features: FeatureMatrix, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
        """All chunks of :meth:`iter_scores` concatenated (for small batches)."""
        parts = list(self.iter_scores(features, **kwargs))
        return (pd.concat([s for s, _ in parts], ignore_index=True),
                pd.concat([r for _, r in parts], ignore_index=True))


def bundle_feature_spec(bundle: ModelBundle) -> FeatureSpec:
    """The feature spec the bundle's model was trained with."""
    text = bundle.config.get("feature_spec_yaml")
    if not text:
        raise ModelError("the model bundle carries no feature spec (config.feature_spec_yaml); retrain it with credit-risk train")
    return from_mapping(FeatureSpec, yaml.safe_load(text), where="bundle feature spec")


def event_probability(generic: GenericRiskModel, X) -> np.ndarray:
    """The generic model's calibrated event probability: the one path of the report and of scoring.

    The training report's tiers and the scorer's tiers both come from this function, so a
    subject scored on the same features gets the same probability to the last bit (summing
    TreeSHAP contributions instead differs from the booster's own prediction in the last bit,
    enough to move a score across a tier cut-off).
    """
    return generic.predict_proba(X)[:, 1]


def score_chunk(
    trained: TrainedModels,
    features: FeatureMatrix,
    *,
    k: int = 5,
    previous: pd.DataFrame | None = None,
    industry: pd.Series | None = None,
    text: bool = True,
    reasons_for: ReasonsFor | str = "all",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score one chunk of subjects: ``(scores, reasons)``, the one scoring path.

    ``scores`` holds the keys, the generic ``probability`` (:func:`event_probability`),
    ``model_tier``, the final ``tier`` (hysteresis against ``previous`` and overrides), the
    per-view portrait and, with ``industry`` (the GB/T 4754 code of every row), ``p_<domain>``
    for the subjects each domain model covers (missing elsewhere). ``reasons`` holds the top
    ``k`` reasons per subject from the generic model (long: ``row`` is the 0-based position in
    ``features``; see :class:`~credit_risk.explain.Explanation`) for the subjects
    ``reasons_for`` selects (:class:`ReasonsFor`; default every row); the portrait of the
    others is missing.
    """
    return _score(trained, features, k=k, previous=previous, industry=industry, text=text, reasons_for=reasons_for,
                  wide=False)


def _score(trained: TrainedModels, features: FeatureMatrix, *, k: int, previous: pd.DataFrame | None,
           industry: pd.Series | None, text: bool, reasons_for: ReasonsFor | str,
           wide: bool, contributions: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`score_chunk`, with the reasons long (``wide=False``) or one column group per rank.

    ``contributions`` (n, p + 1), when given, receives the generic model's TreeSHAP
    contributions of every row, for the run record: those of the explained rows as the reasons
    computed them (:func:`_explain`), the others' computed here (phase ``record
    contributions``), so that no row's are computed twice.
    """
    selection = ReasonsFor.parse(reasons_for)
    selection.check(trained.tiers.labels_)
    generic = trained.generic
    names = list(generic.feature_names_in_)
    missing = [n for n in names if n not in features.X.columns]
    if missing:
        raise ModelError(f"features lack {missing[:10]} needed by the generic model; rebuild them with the training spec")
    if contributions is not None and (contributions.shape != (len(features.X), len(names) + 1)
                                      or contributions.dtype != np.float64):
        raise ModelError(f"contributions: an array of {contributions.dtype} {contributions.shape} arrived; pass a "
                         f"float64 array of shape {(len(features.X), len(names) + 1)} (rows, generic features + base)")
    X = features.X.reset_index(drop=True)
    keys = features.keys.reset_index(drop=True)
    Xg = X[names]
    with _phase("probability"):
        p = event_probability(generic, Xg)
    rule_cols = [r.feature for r in trained.tiers.overrides] + (
        [trained.tiers.observation.feature] if trained.tiers.observation is not None else []
    )
    with _phase("tiers"):
        tiers = trained.tiers.assign(
            p, features=X[[c for c in rule_cols if c in X.columns]] if rule_cols else None, keys=keys,
            previous=previous,
        )
        chosen = selection.mask(tiers["tier"].to_numpy(dtype=object), keys["credit_code"].to_numpy(dtype=object))
    with _phase("reasons"):
        portrait, reasons = _explain(generic, Xg, keys, np.flatnonzero(chosen), k=k, text=text, wide=wide,
                                     contributions=contributions)
        scores = pd.concat([tiers, portrait], axis=1)
    if contributions is not None and not chosen.all():
        with _phase("record contributions"):
            rest = np.flatnonzero(~chosen)
            contributions[rest] = generic.raw_contributions(Xg if len(rest) == len(Xg) else Xg.iloc[rest])
    if industry is not None:
        with _phase("domains"):
            ind = pd.Series(np.asarray(industry, dtype=object))
            for name, model in trained.domains.items():
                covered = trained.domain_configs[name].subject_mask(ind)
                p_domain = np.full(len(X), np.nan)
                if covered.any():
                    p_domain[covered] = model.predict_proba(features.rows(covered))[:, 1]
                scores[f"p_{name}"] = p_domain
    return scores, reasons


def _explain(generic: GenericRiskModel, Xg: pd.DataFrame, keys: pd.DataFrame, rows: np.ndarray, *, k: int,
             text: bool, wide: bool, contributions: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Portrait (every row; missing outside ``rows``) and reasons of ``rows`` (positions in ``Xg``) only.

    The contributions are computed for those rows alone: TreeSHAP values of a row depend on
    that row only, so they are the values of explaining every row, bit for bit. With
    ``contributions`` (the (n, p + 1) array of the run record) they are also written at
    ``rows`` there. The reasons
    are long (:attr:`~credit_risk.explain.Explanation.reasons`, ``row`` = position in ``Xg``)
    or, with ``wide``, the output's columns (the long table flattened to one column group per
    rank, built straight from the arrays).
    """
    explainer = Explainer(generic)
    sub = Xg if len(rows) == len(Xg) else Xg.iloc[rows].reset_index(drop=True)
    contrib = (generic.raw_contributions(sub) if len(rows)
               else np.empty((0, Xg.shape[1] + 1), dtype=np.float64))  # LightGBM refuses an empty batch
    if contributions is not None:
        contributions[rows] = contrib
    top = explainer.top_reasons(sub, contrib, k=k, text=text)
    columns = [*VIEWS, "base", "log_odds"]
    values = np.full((len(Xg), len(columns)), np.nan)
    values[rows] = explainer.portrait_values(contrib, top.names)
    portrait = pd.DataFrame(values, columns=columns)
    if wide:
        return portrait, _wide_reasons(top, rows, len(Xg), k)
    reasons = top.long(keys.iloc[rows].reset_index(drop=True))
    reasons["row"] = rows[reasons["row"].to_numpy()]
    return portrait, reasons


def _wide_reasons(top: TopReasons, rows: np.ndarray, n_rows: int, k: int) -> pd.DataFrame:
    """One column group per rank for ``n_rows`` rows, filled at ``rows``: the long table flattened, without it."""
    kk = top.index.shape[1]
    long = {
        "feature": np.asarray(top.names, dtype=object)[top.index],
        # v != v: a float NaN (as np.isnan, at a fraction of its cost); missing stays missing
        "value": np.array([None if v is None or (isinstance(v, float) and v != v) else str(v) for v in top.value],
                          dtype=object).reshape(-1, kk),
        "contribution": top.contribution,
        "text": top.text.reshape(-1, kk),
        "text_zh": top.text_zh.reshape(-1, kk),
    }
    out = {}
    for rank in range(1, k + 1):
        for col, values in long.items():
            arr = np.full(n_rows, np.nan) if col == "contribution" else np.full(n_rows, None, dtype=object)
            if rank <= kk:
                arr[rows] = values[:, rank - 1]
            out[f"reason_{rank}_{col}"] = arr
    return pd.DataFrame(out)


def iter_scores(
    trained: TrainedModels,
    features: FeatureMatrix,
    *,
    k: int = 5,
    previous: pd.DataFrame | None = None,
    industry: pd.Series | None = None,
    text: bool = True,
    chunk_size: int = 100_000,
    reasons_for: ReasonsFor | str = "all",
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """:func:`score_chunk` over ``features`` in chunks of ``chunk_size`` rows (bounded memory).

    The reasons' ``row`` stays the position in the whole ``features``.
    """
    for start in range(0, len(features.X), chunk_size):
        stop = min(start + chunk_size, len(features.X))
        scores, reasons = score_chunk(
            trained, _slice(features, start, stop), k=k, previous=previous, text=text, reasons_for=reasons_for,
            industry=None if industry is None else pd.Series(np.asarray(industry, dtype=object)[start:stop]),
        )
        reasons["row"] += start
        yield scores, reasons


def score_frame(
    trained: TrainedModels,
    features: FeatureMatrix,
    *,
    k: int = 5,
    previous: pd.DataFrame | None = None,
    industry: pd.Series | None = None,
    reasons_for: ReasonsFor | str = "all",
    contributions: np.ndarray | None = None,
) -> pd.DataFrame:
    """Score one chunk into the output's columns: :func:`score_chunk` with the reasons one column group per rank.

    Rows that ``reasons_for`` leaves out (:class:`ReasonsFor`; default every row) have missing
    reason and portrait columns. ``contributions``, a float64 array of shape (rows, generic
    features + 1), receives the generic model's TreeSHAP contributions of every row (last
    column the base), what the run record stores: the explained rows' are those their reasons
    came from, the others' are computed for it; no row's are computed twice.
    """
    if trained.domains and (industry is None or len(industry) != len(features.X)):
        raise ModelError(
            f"score_frame: the model set has domain models {sorted(trained.domains)}; pass industry= "
            "(the GB/T 4754 code of every scored row) so that each domain scores its own subjects"
        )
    scores, reasons = _score(trained, features, k=k, previous=previous, industry=industry, text=True,
                             reasons_for=reasons_for, wide=True, contributions=contributions)
    with _phase("reasons"):
        return pd.concat([scores, reasons], axis=1)


def score_dataset(
    bundle: ModelBundle,
    dataset: CreditDataset,
    *,
    as_of: str | pd.Timestamp,
    out: str | Path,
    model_name: str,
    model_version: str,
    chunk_size: int = 200_000,
    k: int = 5,
    previous: pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = None,
    model_sha256: str | None = None,
    run_history: str | Path | None = None,
    run_config: MonitoringConfig | None = None,
    reasons_for: ReasonsFor | str = MONTHLY_REASONS_FOR,
    engine: str = "pandas",
) -> Path:
    """Score every active subject as of ``as_of`` and write one Parquet file atomically.

    ``engine="spark"`` builds and scores the rows on Apache Spark (:mod:`credit_risk.engine`),
    with the same output.

    ``reasons_for`` (:class:`ReasonsFor`) chooses who gets reasons and a portrait: by default
    tiers C and D (:data:`MONTHLY_REASONS_FOR`), ``"all"`` for everyone; the others' reason and
    portrait columns are missing (the columns are always there). ``threads`` sets LightGBM's
    prediction threads; None: every core this process may use (as LightGBM's own default).
    Results do not depend on it. ``model_sha256`` is the
    verified hash of the bundle file (:func:`resolve_model` gives it); without it the bundle's
    pickled content is hashed, so that resumed runs never mix parts of different models.

    ``run_history`` (a folder) also writes the run record of the scores there
    (:func:`credit_risk.monitoring.record_run`: as-of, model, data fingerprint, tier counts,
    score quantiles, the reference bins of the score and of every feature), as ``credit-risk
    score`` does by default, so that ``credit-risk monitor`` and ``warn`` compare this run with
    another without re-scoring (:func:`credit_risk.monitoring.find_run` gives its folder);
    ``run_config`` sets its binning (default: the packaged ``monitoring.yaml``). None (the
    default) writes the scores only. The record is written from the scoring pass itself: the
    feature matrix scored, and with ``runs.contributions`` (the default) every row's TreeSHAP
    contributions, each chunk's computed as the chunk is scored, the explained rows' taken
    from their reasons; it equals what :func:`credit_risk.monitoring.record_run` rebuilds from
    the scores file afterwards, without its second feature build and TreeSHAP pass.

    Raises
    ------
    ConfigError
        ``reasons_for`` names a tier the model does not have.
    ModelError
        The bundle is not a model set from ``credit-risk train``, the dataset's schema or
        catalogue differs from the training data's, or its features do not match the model's
        (the message lists the missing and unexpected features).
    """
    as_of = pd.Timestamp(as_of)
    cutoffs = active_cutoffs(dataset, as_of)
    logger.info("scoring %d active subjects as of %s", len(cutoffs), as_of.date())
    capture = _RunCapture.of(run_history, run_config)
    path = _score_rows(bundle, dataset, cutoffs, str(as_of), out=out, model_name=model_name,
                       model_version=model_version, chunk_size=chunk_size, k=k, previous=previous,
                       progress=progress, threads=threads, model_sha256=model_sha256, reasons_for=reasons_for,
                       engine=engine, capture=capture)
    _record(path, bundle, dataset, capture, run_history=run_history, model_name=model_name,
            model_version=model_version, model_sha256=model_sha256)
    return path


def score_cutoffs(
    bundle: ModelBundle,
    dataset: CreditDataset,
    cutoffs: pd.DataFrame,
    *,
    out: str | Path,
    model_name: str,
    model_version: str,
    chunk_size: int = 200_000,
    k: int = 5,
    previous: pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = None,
    model_sha256: str | None = None,
    run_history: str | Path | None = None,
    run_config: MonitoringConfig | None = None,
    reasons_for: ReasonsFor | str = MONTHLY_REASONS_FOR,
    engine: str = "pandas",
) -> Path:
    """Score each ``(credit_code, as_of)`` row as of its own date and write one Parquet file atomically.

    The features of every row are those :func:`~credit_risk.features.build_features` gives for
    the same cutoffs (records published strictly before each row's date), so the result equals
    building the features and scoring them with the bundle's model; rows keep their order
    (repeats allowed). Options and guarantees are those of :func:`score_dataset`.

    Raises
    ------
    ConfigError
        ``cutoffs`` lacks ``credit_code``/``as_of``, is empty, has a value that is not a date,
        or names a subject absent from the dataset (first such row named); ``reasons_for``
        names a tier the model does not have.
    ModelError
        As :func:`score_dataset`.
    """
    cutoffs = checked_cutoffs(dataset, cutoffs)
    logger.info("scoring %d rows at %d as-of dates", len(cutoffs), cutoffs["as_of"].nunique())
    rows = pd.util.hash_pandas_object(cutoffs, index=False).to_numpy().tobytes()
    capture = _RunCapture.of(run_history, run_config)
    path = _score_rows(bundle, dataset, cutoffs, "cutoffs:" + hashlib.sha256(rows).hexdigest(), out=out,
                       model_name=model_name, model_version=model_version, chunk_size=chunk_size, k=k,
                       previous=previous, progress=progress, threads=threads, model_sha256=model_sha256,
                       reasons_for=reasons_for, engine=engine, capture=capture)
    _record(path, bundle, dataset, capture, run_history=run_history, model_name=model_name,
            model_version=model_version, model_sha256=model_sha256)
    return path


def _score_rows(
    bundle: ModelBundle,
    dataset: CreditDataset,
    cutoffs: pd.DataFrame,
    when: str,
    *,
    out: str | Path,
    model_name: str,
    model_version: str,
    chunk_size: int,
    k: int,
    previous: pd.DataFrame | None,
    progress: Callable[[int, int], None] | None,
    threads: int | None,
    model_sha256: str | None,
    reasons_for: ReasonsFor | str,
    engine: str = "pandas",
    capture: _RunCapture | None = None,
) -> Path:
    """Features of ``cutoffs`` in one pass, then score, tier and explain them chunk by chunk.

    With ``capture`` (a run record follows) the generic model's features and, when the record
    stores them, every row's contributions are kept there as the chunks are scored.
    """
    trained = bundle.model
    if not isinstance(trained, TrainedModels):
        raise ModelError(
            f"batch scoring needs the generic model set (credit_risk_generic); this bundle holds a "
            f"{type(trained).__name__} (output {bundle.config.get('output')!r})"
        )
    selection = ReasonsFor.parse(reasons_for)
    selection.check(trained.tiers.labels_)
    _set_threads(trained, threads if threads is not None else _cores())
    bundle.check_schema(dataset.schema_fingerprint())
    if check_engine(engine) == "spark":  # the same rows on Spark (credit_risk.engine)
        from functools import partial

        from credit_risk.engine.score import score_rows_spark

        return score_rows_spark(
            trained, dataset, cutoffs, spec=bundle_feature_spec(bundle), feature_names=bundle.feature_names,
            check_features=bundle.check_features, labels=(model_name, model_version), out=out, previous=previous,
            score=partial(score_frame, k=k, previous=previous, reasons_for=selection), chunk_size=chunk_size,
            identity=(model_sha256 or _bundle_digest(bundle), model_name, model_version, when, str(k),
                      selection.digest()), progress=progress)
    with _phase("features"):
        features = build_features(dataset, cutoffs, bundle_feature_spec(bundle))
        bundle.check_features(features)
        features = features.select(bundle.feature_names)
        industry = industry_of(cutoffs["credit_code"], dataset.enterprises)
    # Everything the output depends on: what it reads of the data (the features and industry
    # of every row, keys included: the tables and catalogue matter through them), the exact
    # model bytes, the library, the rows (as-of date or cutoffs) and the options. Parts written
    # under another digest are never reused by a resumed run.
    with _phase("fingerprint"):
        digest = hashlib.sha256()
        for part in (_rows_digest(features, industry), model_sha256 or _bundle_digest(bundle), __version__,
                     model_name, model_version, when, str(k), selection.digest()):
            digest.update(part.encode())
            digest.update(b"\0")
        if previous is not None:
            digest.update(pd.util.hash_pandas_object(previous, index=False).to_numpy().tobytes())

    if capture is not None:
        capture.start(features, list(trained.generic.feature_names_in_))

    def compute(start: int, stop: int) -> pd.DataFrame:
        chunk = _slice(features, start, stop)
        contributions = capture.chunk(start, stop) if capture is not None else None
        frame = score_frame(trained, chunk, k=k, previous=previous, industry=industry.iloc[start:stop],
                            reasons_for=selection, contributions=contributions)
        frame.insert(2, "model_name", model_name)
        frame.insert(3, "model_version", model_version)
        return frame

    path = write_chunked(len(cutoffs), compute, out, chunk_size=chunk_size, fingerprint=digest.hexdigest(),
                         progress=progress)
    if capture is not None:
        capture.finish(trained.generic)
    return path


@dataclass(eq=False)
class _RunCapture:
    """What the run record (``run_history=``) takes from the scoring pass, so that it recomputes nothing.

    ``features`` are the scored matrix's columns of the generic model, row for row (what
    :func:`credit_risk.monitoring.record_run` would rebuild); ``contributions`` (n, p + 1, float64)
    every row's TreeSHAP contributions when ``config.runs.contributions``: each chunk's are
    written as the chunk is scored, the explained rows' straight from their reasons (see
    :func:`_score`). ``filled`` marks the rows written: chunks a resumed run reuses from the
    killed one are not scored again, so theirs are computed by :meth:`finish`.
    """

    config: MonitoringConfig
    features: FeatureMatrix | None = None
    contributions: np.ndarray | None = None
    filled: np.ndarray | None = None

    @classmethod
    def of(cls, run_history: str | Path | None, run_config: MonitoringConfig | None) -> _RunCapture | None:
        if run_history is None:
            return None
        from credit_risk.monitoring.config import load_monitoring_config

        return cls(run_config if run_config is not None else load_monitoring_config())

    def start(self, features: FeatureMatrix, names: list[str]) -> None:
        self.features = features if list(features.X.columns) == names else features.select(names)
        if self.config.runs.contributions:
            self.contributions = np.empty((len(features.X), len(names) + 1), dtype=np.float64)
            self.filled = np.zeros(len(features.X), dtype=bool)

    def chunk(self, start: int, stop: int) -> np.ndarray | None:
        """The rows of a chunk about to be scored (a view the scorer writes into), or None."""
        if self.contributions is None:
            return None
        self.filled[start:stop] = True
        return self.contributions[start:stop]

    def finish(self, generic: GenericRiskModel) -> None:
        """Contributions of the rows no chunk wrote (chunks reused by a resumed run)."""
        if self.filled is None or self.filled.all():
            return
        rest = np.flatnonzero(~self.filled)
        logger.info("run record: contributions of %d rows of reused chunks", len(rest))
        with _phase("record contributions"):
            self.contributions[rest] = generic.raw_contributions(self.features.X.iloc[rest])
        self.filled[rest] = True


def _record(scores: Path, bundle: ModelBundle, dataset: CreditDataset, capture: _RunCapture | None, *,
            run_history: str | Path | None, model_name: str, model_version: str,
            model_sha256: str | None) -> None:
    """The run record of a finished scoring run in ``run_history`` (nothing when None).

    Written from what the scoring pass kept (``capture``); rebuilt by
    :func:`~credit_risk.monitoring.record_run` only when the rows were scored on Spark (their
    matrix stayed on the cluster).
    """
    if run_history is None or capture is None:
        return
    from credit_risk.monitoring.runs import record_run, write_run_record

    sha = model_sha256 or _bundle_digest(bundle)
    with _phase("run record"):
        if capture.features is None:
            record_run(scores, bundle, dataset, model_name=model_name, model_version=model_version, model_sha256=sha,
                       history=run_history, config=capture.config)
            return
        write_run_record(scores, features=capture.features, dataset=dataset, model_name=model_name,
                         model_version=model_version, model_sha256=sha, contributions=capture.contributions,
                         history=run_history, config=capture.config)


def _rows_digest(features: FeatureMatrix, industry: pd.Series) -> str:
    """sha256 of the scored rows: keys, every feature column (name, type, values) and the industry.

    Numeric columns are hashed as their raw bytes and categoricals as codes plus categories,
    so a province costs about one pass over its feature matrix (hashing every table of the
    dataset with pandas cost 6–7 times more: 22 CPU-seconds at 3.4 M subjects).
    """
    digest = hashlib.sha256()
    frame = pd.concat([features.keys.reset_index(drop=True), features.X.reset_index(drop=True),
                       pd.DataFrame({"\0industry": np.asarray(industry, dtype=object)})], axis=1)
    for name in frame.columns:
        column = frame[name]
        digest.update(f"{name}\0{column.dtype}\0".encode())
        if isinstance(column.dtype, pd.CategoricalDtype):
            digest.update(repr(list(column.cat.categories)).encode())
            digest.update(np.ascontiguousarray(column.cat.codes.to_numpy()).tobytes())
        elif pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
            digest.update(np.ascontiguousarray(column.to_numpy()).tobytes())
        else:
            digest.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _bundle_digest(bundle: ModelBundle) -> str:
    import pickle

    return hashlib.sha256(pickle.dumps(bundle, protocol=5)).hexdigest()


def _cores() -> int:
    """Cores this process may use (its CPU affinity where the platform tells it)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def _set_threads(trained: TrainedModels, threads: int) -> None:
    """Prediction threads of every LightGBM model in the set (generic and inside domain models)."""
    seen = [trained.generic]
    for model in trained.domains.values():
        seen.extend(v for v in vars(model).values() if isinstance(v, GenericRiskModel))
    for model in seen:
        model.n_jobs = threads


def _slice(features: FeatureMatrix, start: int, stop: int) -> FeatureMatrix:
    return FeatureMatrix(
        features.keys.iloc[start:stop].reset_index(drop=True),
        features.X.iloc[start:stop].reset_index(drop=True),
        features.info,
    )
