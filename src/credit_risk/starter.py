"""Starter configs from a dataset: what ``credit-risk init --data DIR --out DIR`` writes.

:func:`write_starter_configs` looks at a loaded dataset and writes a config folder that loads,
validates and builds features with no hand edits:

``catalog.yaml``
    ``extends: packaged`` plus the kinds the records use that the packaged catalogue lacks or
    declares differently (the dataset's own catalogue decides), each with its record count,
    outcome and severity counts in comments and ``# review`` marks where a person must decide
    (which outcomes are adverse, views, polarity, publication periods). A dataset whose
    catalogue has another severity list is written out whole instead of extending.
``features.yaml``
    :meth:`FeatureSpec.from_catalog` over the kinds found: counts in windows, days since the
    last record, last outcome, adverse-outcome counts and share, severity counts, value sums
    or means, and the extra ``enterprises`` columns as attributes (type inferred, marked
    ``# review``); the hand-written builders only for the tables present.
``tiers.yaml``
    The packaged tiers with only the overrides (and observation period) whose feature the
    spec builds.
``scorecard.yaml``
    The packaged rule set turned into a *learned* scorecard (points from the data), with only
    the vetoes whose feature exists: the packaged indicators name Chinese-register features.
``train.yaml``
    The packaged training config pointing at the files above (no domain models: they name
    GB/T 4754 industries and packaged features).

Every file is checked by its own loader before the function returns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from credit_risk.atomic import write_text
from credit_risk.config import from_mapping, load_yaml, packaged
from credit_risk.data.catalog import load_catalog
from credit_risk.data.dataset import CreditDataset
from credit_risk.data.schema import TABLES
from credit_risk.exceptions import ConfigError
from credit_risk.features.attributes import FLAG_VALUES
from credit_risk.features.build import build_features
from credit_risk.features.derive import spec_from_catalog, spec_to_mapping
from credit_risk.features.spec import FeatureSpec, load_feature_spec, unsafe_columns

__all__ = ["MAX_GROUP_SHARE", "MIN_SHARED_NAME_SHARE", "SAME_PARTITION_SHARE", "STARTER_FILES", "group_size_reason", "infer_attribute_types",
           "largest_group_share", "level_count_for", "same_partition_share", "shared_name_share", "write_starter_configs"]

logger = logging.getLogger(__name__)

#: Files :func:`write_starter_configs` writes, in order.
STARTER_FILES: tuple[str, ...] = ("catalog.yaml", "features.yaml", "tiers.yaml", "scorecard.yaml", "train.yaml")
#: Subjects whose features are built to check the written spec.
CHECK_SUBJECTS = 5000
#: A text column is used as a categorical attribute only when at least this many of its levels
#: reach the spec's ``min_level_count`` and those levels hold at least :data:`MIN_COVERED_SHARE`
#: of its values (otherwise it is free text: an address, a phone number, a name).
MIN_USEFUL_LEVELS = 2
MIN_COVERED_SHARE = 0.5
#: An extra column is left out when it partitions the subjects as a contract column that is
#: already a feature (region, industry, entity type) does, for at least this share of the
#: subjects holding both [I]: a raw postal code beside the region made from it is the same
#: categorical twice, which only gives the trees two chances to overfit the same levels.
SAME_PARTITION_SHARE = 0.99
#: Contract columns the feature builders already turn into categoricals (``context``).
_CATEGORICAL_CONTRACT_COLUMNS = ("region", "industry", "entity_type")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=110)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _counts(values: pd.Series) -> str:
    vc = values.dropna().astype(str).value_counts()
    return ", ".join(f"{k} {v:,}" for k, v in vc.items()) or "none"


# ----------------------------------------------------------------------------------- builders
def _fit_builders(spec: FeatureSpec, dataset: CreditDataset) -> FeatureSpec:
    """Leave out the builder parts whose contract columns are empty in this dataset."""
    ent = dataset.enterprises
    has = {c: bool(ent[c].notna().any()) if c in ent else False
           for c in ("industry", "region", "entity_type", "established_on", "closed_on")}
    b = spec.builders
    groups = tuple(g for g in ("industry", "region") if has[g])
    context = replace(b.context, groups=groups, entity_type=has["entity_type"])  # type: ignore[arg-type]
    enabled = tuple(v for v in b.enabled if v != "lifecycle" or has["established_on"] or has["closed_on"]
                    or b.lifecycle.change_kinds)
    return replace(spec, builders=replace(b, context=context, enabled=enabled))


# ----------------------------------------------------------------------------------- attributes
def _code_like(text: pd.Series) -> bool:
    """Digits that are codes, not quantities: a leading ``+`` or ``0``, or equal-length digit strings of ≥ 5."""
    if text.str.match(r"^(\+|0\d)").any():
        return True
    digits = text.str.fullmatch(r"\d+")
    return bool(digits.all() and text.str.len().nunique() == 1 and text.str.len().iloc[0] >= 5)


def level_count_for(n_subjects: int) -> int:
    """``min_level_count`` written by init: 1 % of the subjects, between 5 and 100 [I].

    Examples
    --------
    >>> level_count_for(6_400), level_count_for(80), level_count_for(1_000_000)
    (64, 5, 100)
    """
    return int(min(100, max(5, n_subjects // 100)))


#: ``name`` and free-text columns (an address, a phone number) become ``group_size`` attributes
#: (a chain's or branch network's size; enterprises at one address: a market hall, a food court,
#: a cluster registration 一址多照) when at least this share of the subjects share their value
#: with another subject [I].
MIN_SHARED_NAME_SHARE = 0.02
#: ... and, for columns other than ``name``, when no one value is held by more than this share of
#: the subjects [I]: a value most subjects share (the city, the state) is a category, not a group.
MAX_GROUP_SHARE = 0.05


def shared_name_share(enterprises: pd.DataFrame, column: str = "name") -> float:
    """Share of subjects whose ``column`` value (stripped, case-folded) another subject also bears.

    Examples
    --------
    >>> shared_name_share(pd.DataFrame({"name": ["Cafe A", "cafe a", "B", None]}))
    0.5
    """
    if column not in enterprises or not len(enterprises):
        return 0.0
    key = enterprises[column].astype("string").str.strip().str.casefold()
    key = key[key.notna() & (key != "")]
    return float((key.map(key.value_counts()) >= 2).sum() / len(enterprises))


def largest_group_share(enterprises: pd.DataFrame, column: str) -> float:
    """Share of the subjects holding the commonest ``column`` value (stripped, case-folded).

    Examples
    --------
    >>> largest_group_share(pd.DataFrame({"city": ["SF", "sf ", "Oakland", None]}), "city")
    0.5
    """
    if column not in enterprises or not len(enterprises):
        return 0.0
    key = enterprises[column].astype("string").str.strip().str.casefold()
    key = key[key.notna() & (key != "")]
    return float(key.value_counts().max() / len(enterprises)) if len(key) else 0.0


def group_size_reason(enterprises: pd.DataFrame, column: str) -> str | None:
    """Why ``column`` makes a ``group_size`` attribute (:data:`MIN_SHARED_NAME_SHARE`,
    :data:`MAX_GROUP_SHARE`), or None when it does not."""
    shared = shared_name_share(enterprises, column)
    largest = largest_group_share(enterprises, column)
    if shared >= MIN_SHARED_NAME_SHARE and (column == "name" or largest <= MAX_GROUP_SHARE):
        what = "their name" if column == "name" else f"their {column}"
        return (f"{shared:.0%} of the subjects share {what} with another (largest group "
                f"{largest:.2%} of them)")
    return None


def same_partition_share(a: pd.Series, b: pd.Series) -> float:
    """How far two columns split the subjects alike: the smaller of the shares of subjects (holding both)
    whose value in one column is the most common value among those with their value in the other.

    1.0 when each column is a relabelling of the other; low when one is much finer (a coordinate
    against a region) or unrelated.

    Examples
    --------
    >>> raw = pd.Series(["94110", "941102019", "94103", "94103", None])
    >>> same_partition_share(raw, pd.Series(["94110", "94110", "94103", "94103", "94107"]))
    0.75
    >>> same_partition_share(pd.Series(["a", "b", "c", "d"]), pd.Series(["x", "x", "y", "y"]))
    0.5
    """
    a, b = a.astype("string").str.strip(), b.astype("string").str.strip()
    both = (a.notna() & b.notna() & (a != "") & (b != "")).to_numpy(dtype=bool)
    if not both.any():
        return 0.0
    pairs = pd.DataFrame({"a": a[both].to_numpy(), "b": b[both].to_numpy()}).value_counts()
    a_to_b = pairs.groupby(level="a").max().sum()
    b_to_a = pairs.groupby(level="b").max().sum()
    return float(min(a_to_b, b_to_a) / both.sum())


def _duplicated_contract_column(enterprises: pd.DataFrame, column: str) -> tuple[str, float] | None:
    """The contract categorical ``column`` repeats (:data:`SAME_PARTITION_SHARE`), with the share; else None."""
    for contract in _CATEGORICAL_CONTRACT_COLUMNS:
        if contract in enterprises and enterprises[contract].notna().any():
            share = same_partition_share(enterprises[column], enterprises[contract])
            if share >= SAME_PARTITION_SHARE:
                return contract, share
    return None


def infer_attribute_types(enterprises: pd.DataFrame, exclude=(), min_level_count: int = 20) -> dict[str, tuple[str, str]]:
    """Type of every extra ``enterprises`` column worth a feature: column → (type, why).

    Contract columns and ``exclude`` are skipped, as are columns without a value, free text
    (fewer than :data:`MIN_USEFUL_LEVELS` levels held by ``min_level_count`` subjects, or
    holding less than :data:`MIN_COVERED_SHARE` of the values) unless subjects share its values
    in small groups (then ``group_size``: :func:`group_size_reason`), columns with a single value and
    columns that split the subjects as ``region``, ``industry`` or ``entity_type`` already do
    (:func:`same_partition_share` ≥ :data:`SAME_PARTITION_SHARE`: the raw postal code beside the
    region derived from it). Types: ``date`` (datetime or ISO text), ``flag`` (two values
    of 0/1, true/false, yes/no, 是/否), ``numeric`` (every value a number, unless the digits
    look like codes: postal codes, phone numbers, ids), ``categorical``, or ``group_size`` (free
    text such as an address or a phone number that several subjects share).
    """
    contract = set(TABLES["enterprises"].names)
    out: dict[str, tuple[str, str]] = {}
    for column in enterprises.columns:
        if column in contract or column in set(exclude):
            continue
        col = enterprises[column]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            n = int(col.notna().sum())
            if n and col.nunique() > 1:
                out[column] = ("date", f"{n:,} dates")
            continue
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            values = pd.to_numeric(col, errors="coerce").dropna()
            if values.nunique() <= 1:
                continue
            kind = "flag" if set(values.unique()) <= {0, 1} else "numeric"
            out[column] = (kind, f"{len(values):,} values")
            continue
        text = col.astype("string").str.strip()
        text = text[text.notna() & (text != "")]
        if text.nunique() <= 1:
            continue
        lowered = set(text.str.lower().unique())
        if len(lowered) == 2 and lowered <= set(FLAG_VALUES):
            out[column] = ("flag", f"{len(text):,} values: {', '.join(sorted(lowered))}")
            continue
        if not _code_like(text) and pd.to_numeric(text, errors="coerce").notna().all():
            out[column] = ("numeric", f"{len(text):,} values, e.g. {text.iloc[0]!r}")
            continue
        if text.str.match(_ISO_DATE).all() and pd.to_datetime(text, errors="coerce", format="ISO8601").notna().all():
            out[column] = ("date", f"{len(text):,} dates, e.g. {text.iloc[0]!r}")
            continue
        duplicated = _duplicated_contract_column(enterprises, column)
        if duplicated is not None:
            logger.info("init: enterprises column %r not used (it splits the subjects as the contract column %r "
                        "does for %.2f %% of them, and that one is a feature already)", column, duplicated[0],
                        100 * duplicated[1])
            continue
        counts = text.value_counts()
        useful = int((counts >= min_level_count).sum())
        covered = counts[counts >= min_level_count].sum() / max(len(text), 1)
        if useful >= MIN_USEFUL_LEVELS and covered >= MIN_COVERED_SHARE:
            out[column] = ("categorical", f"{len(counts):,} levels, {useful} with ≥ {min_level_count} subjects")
        elif (why := group_size_reason(enterprises, column)) is not None:
            out[column] = ("group_size", f"free text; {why}")
        else:
            logger.info("init: enterprises column %r not used (free text: %d levels, %d with ≥ %d subjects "
                        "holding %.0f %% of the values)", column, len(counts), useful, min_level_count, 100 * covered)
    return out


# ------------------------------------------------------------------------------------ catalogue
def _kind_differences(name: str, spec, base) -> dict[str, Any]:
    mine = {k: v for k, v in _kind_mapping(spec).items()}
    if base is None:
        return mine
    theirs = _kind_mapping(base)
    return {k: v for k, v in mine.items() if theirs.get(k) != v}


def _kind_mapping(spec) -> dict[str, Any]:
    out = {}
    for key, value in vars(spec).items():
        if key == "severity_scale" and value is None:
            continue
        out[key] = list(value) if isinstance(value, tuple) else (dict(value) if isinstance(value, dict) else value)
    return out


def _catalog_text(dataset: CreditDataset, found: list[str]) -> str:
    cat = dataset.catalog
    base = load_catalog()
    rec = dataset.records
    lines = [
        "# Catalogue written by `credit-risk init` from the dataset's records: the kinds found, with",
        "# their record counts and the outcomes and severities seen. Lines marked `# review` need a",
        "# person's decision (which outcomes are findings against the subject, view, polarity, how",
        "# long a record stays published). Kinds the packaged catalogue already declares the same way",
        "# are listed as comments only; `extends: packaged` keeps every packaged kind available.",
        "",
    ]
    whole = tuple(cat.severities) != tuple(base.severities)
    if whole:
        lines += ["# The dataset's catalogue has its own severity list: written out whole (no extends).", ""]
        mapping = cat.to_mapping()
        kinds = {k: v for k, v in mapping["kinds"].items() if k in found} or mapping["kinds"]
        lines += [_dump({"severities": mapping["severities"], "domains": mapping["domains"]}).rstrip(), "", "kinds:"]
    else:
        lines += ["extends: packaged", ""]
        if tuple(cat.domains) != tuple(base.domains):
            lines += [_dump({"domains": list(cat.domains)}).rstrip(), ""]
        kinds = {k: _kind_differences(k, cat.kinds[k], base.kinds.get(k)) for k in found}
        lines.append("kinds:" if any(kinds.values()) else "kinds: {}")
    for name in found:
        rows = rec[rec["kind"].astype(object) == name]
        spec = cat.kinds[name]
        lines.append(f"  # {name}: {len(rows):,} records; outcomes: {_counts(rows['outcome'])}; "
                     f"severities: {_counts(rows['severity'])}; value given on {int(rows['value'].notna().sum()):,}")
        missing = [o for o in spec.outcomes if o not in set(rows["outcome"].dropna().astype(str))]
        if missing:
            lines.append(f"  # {name}: declared outcomes never seen: {missing}")
        fields = kinds.get(name) or {}
        if not fields:
            lines.append(f"  # {name}: as in the packaged catalogue")
            continue
        body = _indent(_dump({name: fields}), 2).rstrip().splitlines()
        new = name not in base.kinds
        for i, line in enumerate(body):
            stripped = line.strip()
            if i == 0 and new:
                line += "   # review: a kind of its own (view, polarity, publication_days)"
            elif spec.outcomes and (stripped.startswith("adverse_outcomes:")
                                    or (stripped.startswith("outcomes:") and not spec.adverse_outcomes)):
                line += "   # review: which outcomes are findings against the subject?"
            elif stripped.startswith("publication_days:") and new:
                line += "   # review: days a record stays published (null = until its end)"
            lines.append(line)
        if spec.outcomes and not spec.adverse_outcomes and "adverse_outcomes" not in fields:
            lines.append(f"    # review: {name} declares no adverse_outcomes; add them to use it as an inspection target")
        seen = set(rows["outcome"].dropna().astype(str))
        if spec.adverse_outcomes and not seen & set(spec.adverse_outcomes):
            lines.append(f"    # review: no {name} record has an adverse outcome {list(spec.adverse_outcomes)}: as a "
                         "training target it would have no positives")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- feature spec
def _features_text(spec: FeatureSpec, inferred: Mapping[str, tuple[str, str]], found: list[str]) -> str:
    mapping = spec_to_mapping(spec)
    attributes = mapping.pop("attributes", [])
    lines = [
        "# Feature spec written by `credit-risk init`: the standard aggregates of every kind found in",
        f"# the records ({', '.join(found)}), derived from catalog.yaml by FeatureSpec.from_catalog,",
        "# and the extra enterprises columns as attributes. A direction is declared (a monotone",
        "# constraint) only where it is a rule: more records of a negative kind, more adverse outcomes.",
        "# Edit freely; docs/features.md lists every key.",
        "",
        _dump(mapping).rstrip(),
    ]
    if attributes:
        lines.append("attributes:")
        for a in attributes:
            why = inferred.get(a["column"], ("", ""))[1]
            flow = yaml.safe_dump(a, allow_unicode=True, sort_keys=False, default_flow_style=True, width=1000).strip()
            lines.append(f"  - {flow}   # review: type inferred from {why}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- tiers, scorecard
def _tiers_text(names: set[str]) -> str:
    raw = load_yaml(packaged("tiers.yaml")) or {}
    kept = [o for o in raw.get("overrides") or [] if o.get("feature") in names]
    dropped = [o.get("name") for o in raw.get("overrides") or [] if o.get("feature") not in names]
    raw["overrides"] = kept
    observation = raw.get("observation")
    if observation is not None and observation.get("feature") not in names:
        raw["observation"] = None
        dropped.append("observation")
    head = [
        "# Risk tiers written by `credit-risk init` from the packaged tiers.yaml, keeping only the",
        "# overrides whose feature the spec builds.",
    ]
    if dropped:
        head.append(f"# Left out (their feature is not built from this data): {', '.join(map(str, dropped))}.")
    return "\n".join(head) + "\n\n" + _dump(raw)


def _scorecard_text(names: set[str]) -> str:
    raw = load_yaml(packaged("scorecard.yaml")) or {}
    vetoes = [v for v in raw.get("vetoes") or [] if v.get("feature") in names]
    out = {"mode": "learned", "max_points": raw.get("max_points", 1000), "bands": raw.get("bands", []),
           "vetoes": vetoes, "learned": raw.get("learned", {})}
    head = [
        "# Scorecard written by `credit-risk init`: the packaged bands and learned-scorecard settings;",
        "# points are learned from the data (mode: learned) because the packaged indicators name",
        "# features of the Chinese register. Only the vetoes whose feature is built are kept.",
    ]
    return "\n".join(head) + "\n\n" + _dump(out)


def _train_text() -> str:
    text = packaged("train.yaml").read_text(encoding="utf-8")
    replacements = (
        (r"(?m)^domains:.*$", "domains: []                        # domain models name GB/T 4754 industries: none by default"),
        (r"(?m)^domains_dir:.*$", "domains_dir: null"),
        (r"(?m)^model:.*$", "model: null                       # the packaged GenericRiskModel parameters"),
        (r"(?m)^features:.*$", "features: features.yaml           # written by credit-risk init"),
        (r"(?m)^tiers:.*$", "tiers: tiers.yaml"),
        (r"(?m)^scorecard:.*$", "scorecard: scorecard.yaml"),
    )
    for pattern, line in replacements:
        text, n = re.subn(pattern, line, text, count=1)
        if n == 0:
            raw = load_yaml(packaged("train.yaml")) or {}
            raw.update(domains=[], domains_dir=None, model=None, features="features.yaml", tiers="tiers.yaml",
                       scorecard="scorecard.yaml")
            return "# Training config written by `credit-risk init`.\n" + _dump(raw)
    return "# Written by `credit-risk init` from the packaged train.yaml.\n" + text


# ------------------------------------------------------------------------------------ the writer
def _check_cutoffs(dataset: CreditDataset) -> pd.DataFrame:
    codes = dataset.enterprises["credit_code"].astype(object).to_numpy()
    rng = np.random.default_rng(0)
    pick = codes if len(codes) <= CHECK_SUBJECTS else rng.choice(codes, CHECK_SUBJECTS, replace=False)
    last = pd.to_datetime(dataset.records["start"]).max() if len(dataset.records) else pd.Timestamp("2024-01-01")
    return pd.DataFrame({"credit_code": pick, "as_of": last + pd.Timedelta(days=1)})


def write_starter_configs(dataset: CreditDataset, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write catalog.yaml, features.yaml, tiers.yaml, scorecard.yaml and train.yaml for ``dataset``.

    Parameters
    ----------
    dataset : CreditDataset
        A loaded (validated) dataset.
    out_dir : path
        Folder to write into (created if needed).
    overwrite : bool
        Replace existing files of the same names (default: refuse).

    Returns
    -------
    list of Path
        The files written, in :data:`STARTER_FILES` order.

    Raises
    ------
    ConfigError
        A file exists and ``overwrite`` is False, or a written file does not load (a bug: the
        message names the file).
    """
    out = Path(out_dir)
    targets = [out / name for name in STARTER_FILES]
    existing = [p.name for p in targets if p.exists()]
    if existing and not overwrite:
        raise ConfigError(f"{out} already holds {existing}; choose an empty folder or pass overwrite")
    out.mkdir(parents=True, exist_ok=True)
    rec_kinds = dataset.records["kind"].astype(object)
    found = [k for k in dataset.catalog.kinds if (rec_kinds == k).any()]
    min_count = level_count_for(len(dataset.enterprises))
    inferred = infer_attribute_types(dataset.enterprises, exclude=unsafe_columns(dataset), min_level_count=min_count)
    why = group_size_reason(dataset.enterprises, "name")
    if why is not None and "name" not in unsafe_columns(dataset):
        inferred["name"] = ("group_size", f"{why}: chains, branches")
    tables = [t for t in TABLES if getattr(dataset, t, None) is not None and len(getattr(dataset, t))]
    texts: dict[str, str] = {"catalog.yaml": _catalog_text(dataset, found)}
    write_text(out / "catalog.yaml", texts["catalog.yaml"])
    catalog = load_catalog(out / "catalog.yaml")
    rec = dataset.records
    valued = set(rec.loc[rec["value"].notna(), "kind"].astype(object))
    adverse = {k for k in found if rec.loc[rec["kind"].astype(object) == k, "outcome"].astype(object)
               .isin(list(catalog.kinds[k].adverse_outcomes)).any()}
    spec = spec_from_catalog(catalog, {c: t for c, (t, _) in inferred.items()}, getattr(dataset, "manifest", None),
                             tables=tables, kinds=found, valued_kinds=valued, adverse_kinds=adverse)
    spec = replace(_fit_builders(spec, dataset), min_level_count=min_count)
    write_text(out / "features.yaml", _features_text(spec, inferred, found))
    loaded = load_feature_spec(out / "features.yaml")
    if loaded != spec:
        raise ConfigError(f"{out / 'features.yaml'} does not read back as the derived spec; report this as a bug")
    # the spec must build on this data, with this catalogue
    check = replace(dataset, catalog=catalog)
    fm = build_features(check, _check_cutoffs(dataset), loaded)
    names = {c for c in fm.feature_names if fm.X[c].notna().any()}  # overrides on an all-missing feature are moot
    write_text(out / "tiers.yaml", _tiers_text(names))
    write_text(out / "scorecard.yaml", _scorecard_text(names))
    write_text(out / "train.yaml", _train_text())
    _check_written(out)
    logger.info("init: wrote %s to %s (%d kinds, %d features, %d attributes)", ", ".join(STARTER_FILES), out,
                len(found), len(names), len(spec.attributes))
    return targets


def _check_written(out: Path) -> None:
    """Load every written file with its own loader."""
    from credit_risk.models.scorecard import load_scorecard_config
    from credit_risk.models.tiers import load_tier_config
    from credit_risk.pipeline.train import TrainConfig

    load_tier_config(out / "tiers.yaml")
    load_scorecard_config(out / "scorecard.yaml")
    from_mapping(TrainConfig, load_yaml(out / "train.yaml"), where=str(out / "train.yaml"))
