"""The entry point: :func:`build_features`.

Point-in-time rules (the same for every feature; docs/features.md):

- a record is *known* at ``t`` iff ``published_on < t`` (strict);
- its *effective end* is ``min(end, start + publication_days[kind][severity])``
  (catalogue; missing = no expiry, 0 = never counts, e.g. warnings); removal, repair and
  expiry dates are known on that date;
- it *counts* at ``t`` iff it is known, ``start < t`` and its effective end is missing or
  ``>= t``; a window ``w`` adds ``start >= t − w``.

Repaired, removed and expired records therefore stop counting against the subject from the
day after their end. Annual reports are known from ``filed_on``; relations are active while
``start < t <= end``. Nothing from a ``truth/`` folder, no inspector identity and no
``draw_probability`` is ever read.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from credit_risk.data.dataset import CreditDataset
from credit_risk.engine import check_engine
from credit_risk.exceptions import ConfigError
from credit_risk.features.attributes import build_attributes
from credit_risk.features.commercial import build_commercial
from credit_risk.features.compliance import build_compliance
from credit_risk.features.context import build_context
from credit_risk.features.lifecycle import build_lifecycle
from credit_risk.features.matrix import VIEWS, FeatureMatrix
from credit_risk.features.prepared import prepare
from credit_risk.features.relations import build_relations
from credit_risk.features.social import build_social
from credit_risk.features.spec import FeatureSpec, checked_spec
from credit_risk.features.windows import build_aggregates

__all__ = ["build_features", "drop_constant"]

logger = logging.getLogger(__name__)


def build_features(
    dataset: CreditDataset,
    cutoffs: pd.DataFrame,
    spec: FeatureSpec | None = None,
    *,
    views: tuple[str, ...] | list[str] | None = None,
    tiers: pd.DataFrame | None = None,
    engine: str = "pandas",
) -> FeatureMatrix:
    """Features of every cutoff, as known strictly before its as-of date.

    Parameters
    ----------
    dataset : CreditDataset
    cutoffs : DataFrame
        Columns ``credit_code`` and ``as_of``; one row per wanted feature row. Subjects and
        dates may repeat (one date for all for the monthly run, one per inspection for training).
    spec : FeatureSpec, optional
        Default: the packaged ``configs/features.yaml``.
    views : sequence of str, optional
        Restrict to these views (default: ``spec.views``).
    tiers : DataFrame, optional
        ``credit_code``, ``valid_from`` (or ``as_of``), ``tier`` A–D: adds ``related_worst_tier``.
    engine : {"pandas", "spark"}
        ``spark``: the same matrix built on Apache Spark (:mod:`credit_risk.engine`; the active
        Spark session, else a local one).

    Returns
    -------
    FeatureMatrix
        ``keys`` in the order of ``cutoffs``; numeric features float64 (missing = NaN, never a
        silent 0) in view order, then the categorical ones (pandas ``category`` with stable
        categories).

    Raises
    ------
    DataContractError
        A cutoff's subject is not in ``enterprises`` or its ``as_of`` is missing.
    ConfigError
        The spec names kinds, domains, severities or outcomes the catalogue lacks, an unknown
        view, an attribute column the data lacks or one that may leak the future
        (``closed_on``, the dataset's ``as_of_unsafe`` columns).

    Examples
    --------
    >>> import pandas as pd
    >>> from credit_risk.data import CreditDataset
    >>> ent = pd.DataFrame({"credit_code": ["a"], "name": ["A"], "entity_type": ["enterprise"],
    ...     "industry": ["C13"], "region": ["330106"], "registered_capital": [100.0],
    ...     "established_on": ["2015-01-01"]})
    >>> rec = pd.DataFrame({"record_id": ["r1"], "credit_code": ["a"], "kind": ["penalty"],
    ...     "domain": ["food"], "start": ["2023-03-01"]})
    >>> ds = CreditDataset.from_frames(ent, rec, id_scheme="any")
    >>> cut = pd.DataFrame({"credit_code": ["a", "a"], "as_of": pd.to_datetime(["2023-03-01", "2023-03-02"])})
    >>> fm = build_features(ds, cut, views=["compliance"])
    >>> fm.X["penalty_count_365d"].tolist()
    [0.0, 1.0]
    """
    if check_engine(engine) == "spark":
        from credit_risk.engine.features import build_features_spark

        return build_features_spark(dataset, cutoffs, spec, builder=build_features, views=views, tiers=tiers)
    spec, views = checked_spec(dataset, spec, views)
    p = prepare(dataset, cutoffs)
    logger.info("building features for %s cutoffs over %s records", f"{len(cutoffs):,}", f"{len(dataset.records):,}")
    b = spec.builders
    columns: list = []
    aggregates = build_aggregates(p, spec, views)
    run = set(b.enabled)
    builders = {
        "commercial": lambda: build_commercial(p, b.commercial),
        "compliance": lambda: build_compliance(p, b.compliance),
        "social": lambda: build_social(p, b.social),
        "lifecycle": lambda: build_lifecycle(p, b.lifecycle),
        "relations": lambda: build_relations(p, b.relations, tiers),
        "context": lambda: build_context(p, b.context, spec.min_level_count),
    }
    for view in VIEWS:
        if view not in views:
            continue
        columns.extend((i, v) for i, v in aggregates if i.view == view)
        if view in run:
            columns.extend(builders[view]())
        columns.extend(build_attributes(p, [a for a in spec.attributes if a.feature_view == view], spec.min_level_count))
    if spec.directions:
        produced = {i.name for i, _ in columns}
        unknown = sorted(set(spec.directions) - produced)
        if unknown and set(views) >= set(spec.views):
            raise ConfigError(
                f"{spec.source}: directions names features that are not built: {unknown}; "
                "correct the names or remove the entries"
            )
        columns = [
            (replace(i, direction=spec.directions[i.name]) if i.name in spec.directions and not i.categorical else i, v)
            for i, v in columns
        ]
    names = [i.name for i, _ in columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"feature names {dup} are produced twice; rename a spec prefix")
    # numeric features first (one float64 block, no copy), categorical ones after them
    columns = [c for c in columns if not isinstance(c[1], pd.Categorical)] + [
        c for c in columns if isinstance(c[1], pd.Categorical)
    ]
    X = _frame(columns, len(cutoffs))
    keys = pd.DataFrame(
        {
            "credit_code": cutoffs["credit_code"].astype(object).to_numpy(),
            "as_of": pd.to_datetime(cutoffs["as_of"]).to_numpy(dtype="datetime64[ns]"),
        }
    )
    return FeatureMatrix(keys=keys, X=X, info=tuple(i for i, _ in columns))


def _frame(columns: list, n: int) -> pd.DataFrame:
    """Numeric columns share one preallocated float64 block (no consolidation copy)."""
    numeric = [(i, v) for i, v in columns if not isinstance(v, pd.Categorical)]
    block = np.empty((len(numeric), n), dtype=np.float64)
    for j, (_, v) in enumerate(numeric):
        block[j] = v
    X = pd.DataFrame(block.T, columns=[i.name for i, _ in numeric], index=pd.RangeIndex(n), copy=False)
    cats = {i.name: v for i, v in columns if isinstance(v, pd.Categorical)}
    if cats:
        X = pd.concat([X, pd.DataFrame(cats, index=X.index)], axis=1)
    return X


def drop_constant(features: FeatureMatrix) -> tuple[FeatureMatrix, list[str]]:
    """Drop the features that take a single value (or are missing) on every row.

    A column with one value and some missing rows is kept: being missing is information.
    The dropped names are logged; fit models on the returned matrix and build the scoring
    matrix with the same spec, then select the kept names.

    Returns
    -------
    (FeatureMatrix, list of str)
        The matrix without the constant columns, and their names in column order.

    Examples
    --------
    >>> from credit_risk.features.matrix import FeatureInfo
    >>> info = tuple(FeatureInfo(n, "compliance", 0, n, n) for n in ("a", "b"))
    >>> fm = FeatureMatrix(pd.DataFrame({"credit_code": ["x", "y"], "as_of": pd.to_datetime(["2024-01-01"] * 2)}),
    ...                    pd.DataFrame({"a": [1.0, 1.0], "b": [0.0, 2.0]}), info)
    >>> drop_constant(fm)[1]
    ['a']
    """
    X = features.X
    dropped = [c for c in X.columns if X[c].nunique(dropna=False) <= 1]
    if not dropped:
        return features, []
    logger.info("dropped %d constant features: %s", len(dropped), ", ".join(dropped))
    return features.select([n for n in features.feature_names if n not in set(dropped)]), dropped
