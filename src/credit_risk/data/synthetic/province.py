"""The synthetic province: generate a population and its records, write them with their truth.

The ground truth (latent risk and true violation states per month, static subject effects)
sits beside the dataset in ``truth/``; :func:`credit_risk.data.load_dataset` never reads it,
so it cannot leak into features.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_risk.atomic import atomic_path, write_parquet
from credit_risk.data.catalog import Catalog, load_catalog
from credit_risk.data.dataset import CreditDataset, write_dataset
from credit_risk.data.schema import RELATION_TYPES
from credit_risk.data.synthetic.config import SyntheticConfig, load_synthetic_config
from credit_risk.data.synthetic.events import simulate_events
from credit_risk.data.synthetic.population import Population, draw_population
from credit_risk.data.synthetic.records import RecordBuffer, days_to_datetime
from credit_risk.data.synthetic.relations import Links, draw_links
from credit_risk.data.synthetic.reports import draw_annual_reports, draw_yearly_records
from credit_risk.data.synthetic.risk import Truth, simulate_risk
from credit_risk.exceptions import ConfigError

__all__ = ["SyntheticProvince", "generate_province", "write_province"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: Named random streams, spawned from the seed in this order.
_STREAMS = ("population", "relations", "risk", "reports", "yearly", "events")


@dataclass(frozen=True, eq=False)
class SyntheticProvince:
    """A generated province: the validated dataset and its ground truth.

    Attributes
    ----------
    dataset : CreditDataset
        The observable tables (validated, ``id_scheme="gb32100"``); ``records`` has an extra
        column ``draw_probability``: for a random (double-random) inspection, the probability
        that the subject was drawn in that month's draw of that domain; NaN for every other
        record, targeted and complaint-driven inspections included.
    truth : dict of str to DataFrame
        ``latent``: one row per subject and month in which the subject was active (established
        and not yet closed), subject-major, with ``latent_risk`` (probability of violating that
        month, i.e. that an inspection finds a problem), ``violating``, the food and
        environment states (``latent_risk_food``/``_environment`` NaN and ``violating_*``
        False outside the domain) and ``unreachable``. An inspection in month *m* has outcome
        ``unreachable`` if ``unreachable``, else ``problem`` iff violating in the inspected
        domain (``market`` and other domains: ``violating``), else ``pass``.
        ``subjects``: static risk (logit, intercept included), food business and polluter flags.
        Built on first access. For evaluation only, never a feature.
    seed : int
    config : SyntheticConfig
    """

    dataset: CreditDataset
    seed: int
    config: SyntheticConfig
    population: Population = field(repr=False)
    ground_truth: Truth = field(repr=False)

    @cached_property
    def truth(self) -> dict[str, pd.DataFrame]:
        latent = pa.concat_tables(list(_latent_chunks(self.population, self.ground_truth)))
        return {"latent": latent.to_pandas(),
                "subjects": _subjects_table(self.population, self.ground_truth)}


class _PhaseClock:
    """Logs the wall time of each generation phase (``phase <name> <seconds>`` at DEBUG)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        logger.debug("phase %s %.3f", phase, now - self.last)
        self.last = now


#: Subjects per row group of ``truth/latent.parquet`` (bounds the memory of writing it).
_TRUTH_CHUNK = 100_000

_LATENT_SCHEMA = pa.schema([
    ("credit_code", pa.string()),
    ("month", pa.timestamp("ns")),
    ("latent_risk", pa.float32()),
    ("violating", pa.bool_()),
    ("latent_risk_food", pa.float32()),
    ("violating_food", pa.bool_()),
    ("latent_risk_environment", pa.float32()),
    ("violating_environment", pa.bool_()),
    ("unreachable", pa.bool_()),
])


def _latent_chunks(pop: Population, truth: Truth) -> Iterator[pa.Table]:
    """The latent truth table in subject-major chunks (one row per subject and active month)."""
    n = pop.n
    months = truth.month_start.astype("datetime64[D]").astype("datetime64[ns]")
    positions = {}
    for domain, rows in (("food", truth.food), ("environment", truth.environment)):
        pos = np.full(n, -1, dtype=np.int64)
        pos[rows] = np.arange(len(rows))
        positions[domain] = pos
    for lo in range(0, n, _TRUTH_CHUNK):
        hi = min(n, lo + _TRUTH_CHUNK)
        subj, month = np.nonzero(truth.active[:, lo:hi].T)
        subj += lo
        columns = {
            "credit_code": pa.array(pop.code[subj], type=pa.string()),
            "month": pa.array(months[month], type=pa.timestamp("ns")),
            "latent_risk": pa.array(truth.latent[month, subj], type=pa.float32()),
            "violating": pa.array(truth.violating[month, subj]),
        }
        for domain, lat, vio in (("food", truth.latent_food, truth.violating_food),
                                 ("environment", truth.latent_environment, truth.violating_environment)):
            pos = positions[domain][subj]
            has = pos >= 0
            risk = np.full(len(subj), np.nan, dtype=np.float32)
            risk[has] = lat[month[has], pos[has]]
            state = np.zeros(len(subj), dtype=bool)
            state[has] = vio[month[has], pos[has]]
            columns[f"latent_risk_{domain}"] = pa.array(risk, type=pa.float32(), from_pandas=True)
            columns[f"violating_{domain}"] = pa.array(state)
        columns["unreachable"] = pa.array(truth.unreachable[month, subj])
        yield pa.table(columns, schema=_LATENT_SCHEMA)


def _write_latent(pop: Population, truth: Truth, path: Path) -> None:
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, _LATENT_SCHEMA, compression="zstd") as writer:
        for chunk in _latent_chunks(pop, truth):
            writer.write_table(chunk)


def _subjects_table(pop: Population, truth: Truth) -> pd.DataFrame:
    return pd.DataFrame({
        "credit_code": pop.code.astype(object),
        "static_risk": (pop.static_risk + truth.intercept).astype(np.float32),
        "food_business": pop.is_food,
        "polluter": pop.is_polluting,
    })


def _enterprises(pop: Population) -> pd.DataFrame:
    return pd.DataFrame({
        "credit_code": pop.code.astype(object),
        "name": pop.name.astype(object),
        "entity_type": np.array(pop.entity_types, dtype=object)[pop.entity_type],
        "industry": np.array(pop.industries, dtype=object)[pop.industry],
        "region": np.array(pop.regions, dtype=object)[pop.region],
        "registered_capital": pop.capital,
        "established_on": days_to_datetime(pop.established),
        "closed_on": days_to_datetime(pop.closed),
    })


def _relations(pop: Population, links: Links) -> pd.DataFrame:
    return pd.DataFrame({
        "credit_code": pop.code[links.source].astype(object),
        "related_code": pop.code[links.target].astype(object),
        "relation": np.array(RELATION_TYPES, dtype=object)[links.relation],
        "start": days_to_datetime(links.start),
        "end": days_to_datetime(links.end),
    })


def generate_province(
    n_subjects: int,
    seed: int = 0,
    config: SyntheticConfig | None = None,
    *,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> SyntheticProvince:
    """Generate a synthetic Zhejiang-like province, deterministic for ``seed``.

    Parameters
    ----------
    n_subjects : int
        Number of subjects in the register (1,000 to 3,000,000 are the tested range).
    seed : int
        Seed of the single :class:`numpy.random.SeedSequence` every stream is spawned from.
    config : SyntheticConfig, optional
        Default: ``configs/synthetic.yaml``.
    catalog : Catalog, optional
        Record vocabulary; default the packaged catalogue.
    progress : callable, optional
        Called as ``progress(done_steps, total_steps)`` once per simulated month (two passes).

    Returns
    -------
    SyntheticProvince

    Examples
    --------
    >>> province = generate_province(1000, seed=0)
    >>> province.dataset.n_subjects
    1000
    >>> sorted(province.truth)
    ['latent', 'subjects']
    """
    if isinstance(n_subjects, bool) or not isinstance(n_subjects, (int, np.integer)) or n_subjects < 10:
        raise ConfigError(f"n_subjects must be an integer ≥ 10; got {n_subjects!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer; got {seed!r}")
    config = config if config is not None else load_synthetic_config()
    catalog = catalog if catalog is not None else load_catalog()
    missing = {"penalty", "inspection", "abnormal_listing", "serious_listing"} - set(catalog.kinds)
    if missing:
        raise ConfigError(f"the catalogue lacks record kinds {sorted(missing)} the generator needs; use the packaged catalogue")
    streams = dict(zip(_STREAMS, (np.random.Generator(np.random.PCG64(s)) for s in
                                  np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))), strict=True))
    n = int(n_subjects)
    logger.info("generating a synthetic province: %s subjects, seed %d", f"{n:,}", seed)
    clock = _PhaseClock()
    pop = draw_population(n, config, streams["population"])
    links = draw_links(pop, config, streams["relations"])
    clock.lap("population")
    truth = simulate_risk(pop, links, config, streams["risk"], progress=progress)
    clock.lap("risk")
    sources = tuple(sorted(set(config.inspections.sources.values())
                           | {"market_regulation", "ecology_environment", "court", "tax"}))
    buf = RecordBuffer(catalog, sources)
    reports, listings = draw_annual_reports(pop, truth, config, streams["reports"], buf)
    draw_yearly_records(pop, truth, config, streams["yearly"], buf)
    clock.lap("yearly")
    simulate_events(pop, truth, config, streams["events"], buf, listings, progress=progress)
    clock.lap("events")
    logger.info("generated %s records; validating", f"{len(buf):,}")
    records = buf.to_frame(pop.code)
    clock.lap("assemble")
    dataset = CreditDataset.from_frames(
        _enterprises(pop), records, annual_reports=reports,
        relations=_relations(pop, links), catalog=catalog, id_scheme="gb32100",
    )
    clock.lap("validate")
    return SyntheticProvince(dataset=dataset, seed=int(seed), config=config, population=pop, ground_truth=truth)


def write_province(province: SyntheticProvince, out_dir: str | Path, *, write_truth: bool = True) -> list[Path]:
    """Write the dataset tables and (optionally) ``truth/*.parquet``, each file atomically.

    The bytes depend only on the seed, the size and the config (and the library versions).

    Returns
    -------
    list of Path
        The files written.
    """
    root = Path(out_dir)
    written = write_dataset(province.dataset, root)
    if write_truth:
        target = root / "truth" / "latent.parquet"
        _write_latent(province.population, province.ground_truth, target)
        written.append(target)
        target = root / "truth" / "subjects.parquet"
        write_parquet(_subjects_table(province.population, province.ground_truth), target)
        written.append(target)
    logger.info("wrote the synthetic province to %s (%d files)", root, len(written))
    return written
