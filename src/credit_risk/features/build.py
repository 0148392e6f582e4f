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

import numpy as np
import pandas as pd

from credit_risk.data.dataset import CreditDataset
from credit_risk.exceptions import ConfigError
from credit_risk.features.commercial import build_commercial
from credit_risk.features.compliance import build_compliance
from credit_risk.features.context import build_context
from credit_risk.features.lifecycle import build_lifecycle
from credit_risk.features.matrix import VIEWS, FeatureMatrix
from credit_risk.features.prepared import prepare
from credit_risk.features.relations import build_relations
from credit_risk.features.social import build_social
from credit_risk.features.spec import FeatureSpec, load_feature_spec
from credit_risk.features.windows import build_aggregates

__all__ = ["build_features"]

logger = logging.getLogger(__name__)


def build_features(
    dataset: CreditDataset,
    cutoffs: pd.DataFrame,
    spec: FeatureSpec | None = None,
    *,
    views: tuple[str, ...] | list[str] | None = None,
    tiers: pd.DataFrame | None = None,
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
        The spec names kinds, domains, severities or outcomes the catalogue lacks, or an unknown view.

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
    spec = spec if spec is not None else load_feature_spec()
    spec.check_catalog(dataset.catalog)
    views = tuple(views) if views is not None else spec.views
    bad = [v for v in views if v not in VIEWS]
    if bad:
        raise ConfigError(f"build_features: unknown view(s) {bad}; use some of {list(VIEWS)}")
    p = prepare(dataset, cutoffs)
    logger.info("building features for %s cutoffs over %s records", f"{len(cutoffs):,}", f"{len(dataset.records):,}")
    b = spec.builders
    columns: list = []
    aggregates = build_aggregates(p, spec, views)
    for view in VIEWS:
        if view not in views:
            continue
        columns.extend((i, v) for i, v in aggregates if i.view == view)
        if view == "commercial":
            columns.extend(build_commercial(p, b.commercial))
        elif view == "compliance":
            columns.extend(build_compliance(p, b.compliance))
        elif view == "social":
            columns.extend(build_social(p))
        elif view == "lifecycle":
            columns.extend(build_lifecycle(p, b.lifecycle))
        elif view == "relations":
            columns.extend(build_relations(p, b.relations, tiers))
        elif view == "context":
            columns.extend(build_context(p, b.context))
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
