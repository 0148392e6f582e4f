"""Enterprise environmental credit evaluation (企业环境信用评价, DOMAIN.md §5).

Key pollutant-discharging units are evaluated on four first-level indicator groups
(environmental law-abidance, environmental management, ecological protection, social
responsibility) with points from ``configs/evaluations/environment.yaml``; the total gives
green 环保诚信 / blue 良好 / yellow 警示 / red 不良 (black where a province adds it) and
one-vote vetoes force red whatever the points. The evaluation is point in time (records
published strictly before the evaluation date, not ended or repaired by then) and its results
are written back as records of kind ``environmental_rating``, so that the generic model, the
measures (environmental red → restrictions, green → incentives) and the scheduler use them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from credit_risk.data.dataset import CreditDataset
from credit_risk.evaluations.engine import evaluate_rule_set
from credit_risk.evaluations.ruleset import RuleSet, load_rule_set
from credit_risk.exceptions import ConfigError

__all__ = ["RATING_KIND", "evaluate_environment", "load_environment_rules", "rating_records", "with_ratings"]

#: The catalogue kind results are written as.
RATING_KIND = "environmental_rating"


def load_environment_rules(path: str | Path | None = None) -> RuleSet:
    """The environmental credit rule set (default: the packaged ``evaluations/environment.yaml``)."""
    return load_rule_set(path if path is not None else "environment.yaml")


def evaluate_environment(dataset, as_of, rules: RuleSet | None = None, codes=None) -> pd.DataFrame:
    """Evaluate the environmental credit of the population (or ``codes``) as of ``as_of``.

    The rule set's levels must be outcomes of the catalogue's ``environmental_rating`` kind.

    Returns
    -------
    DataFrame
        Indexed by ``credit_code``: indicator values, points per indicator and group,
        ``points``, ``level_by_points``, ``level`` and ``veto``.

    Examples
    --------
    >>> import pandas as pd
    >>> from credit_risk.data import CreditDataset
    >>> from credit_risk.data.credit_code import complete
    >>> code = complete("91330106MA2H00001")
    >>> ds = CreditDataset.from_frames(pd.DataFrame({"credit_code": [code]}), pd.DataFrame({
    ...     "record_id": ["p", "v"], "credit_code": code, "kind": ["licence", "environmental_violation"],
    ...     "domain": "environment", "start": ["2020-01-01", "2023-06-01"], "severity": [None, "serious"]}))
    >>> result = evaluate_environment(ds, "2024-01-01")
    >>> row = result.iloc[0]
    >>> float(row["points"]), row["level_by_points"], row["level"], row["veto"]
    (70.0, 'yellow', 'red', 'serious_violation')
    """
    rules = rules if rules is not None else load_environment_rules()
    spec = dataset.catalog.kinds.get(RATING_KIND)
    if spec is None:
        raise ConfigError(f"the catalogue has no kind {RATING_KIND!r}; add it (see the packaged catalogue)")
    stray = [g for g in rules.grades if spec.outcomes and g not in spec.outcomes]
    if stray:
        raise ConfigError(
            f"rule set {rules.name!r}: levels {stray} are not outcomes of {RATING_KIND!r} {list(spec.outcomes)}; "
            "add them to the catalogue or rename the levels"
        )
    return evaluate_rule_set(dataset, rules, as_of, codes)


def rating_records(results: pd.DataFrame, as_of, *, source: str = "ecology_environment",
                   prefix: str = "ENV") -> pd.DataFrame:
    """Results as records of kind ``environmental_rating`` (published on ``as_of``).

    Record ids are ``<prefix><YYYYMMDD>-<credit_code>``: re-running an evaluation as of the
    same date gives the same ids.
    """
    t = pd.Timestamp(as_of).normalize()
    codes = results.index.astype(str)
    return pd.DataFrame({
        "record_id": [f"{prefix}{t:%Y%m%d}-{c}" for c in codes],
        "credit_code": codes,
        "kind": RATING_KIND,
        "domain": "environment",
        "start": t,
        "published_on": t,
        "severity": "info",
        "outcome": results["level"].astype(str).to_numpy(),
        "source": source,
    })


def with_ratings(dataset, ratings: pd.DataFrame) -> CreditDataset:
    """A new dataset with the rating records added (validated; ids already present are replaced)."""
    rec = dataset.records
    keep = rec.loc[~rec["record_id"].astype(str).isin(ratings["record_id"].astype(str))]
    records = pd.concat([keep, ratings.reindex(columns=rec.columns)], ignore_index=True)
    return CreditDataset.from_frames(
        dataset.enterprises, records, annual_reports=dataset.annual_reports, relations=dataset.relations,
        catalog=dataset.catalog, manifest=dataset.manifest,
    )
