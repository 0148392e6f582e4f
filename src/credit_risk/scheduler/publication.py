"""Publication (一公开): plan, disclosure, summary and a manifest with fingerprints.

:func:`write_plan` writes, atomically, into one folder:

``plan.parquet``         one row per visit, inspectors included (internal until the visit)
``assignments.parquet``  one row per (visit, department, inspector)
``frame.parquet``        every subject with its stratum and exact inclusion probability
``disclosure.csv``       the public list: policy-chosen columns, never inspectors; text cells
                         that a spreadsheet would run as a formula are prefixed with ``'``
``summary.csv``          counts by tier, department and region
``manifest.json``        seed, period, policy as loaded, sha256 of the input tables'
                         content, library version, and sha256 of every file above

Nothing depends on the clock or the machine, so the same seed and inputs give the same
bytes: anyone holding the inputs can re-run the draw and check the published hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from credit_risk.atomic import sha256_file, write_csv, write_parquet, write_text
from credit_risk.scheduler.plan import InspectionPlan, summarise

__all__ = ["FORMAT", "fingerprint", "summarise", "write_plan"]

FORMAT = "credit_risk.inspection_plan/1"


def fingerprint(
    table: pd.DataFrame, *, sort_by: Sequence[str] = (), order: np.ndarray | None = None
) -> str:
    """sha256 of a table's content, independent of row and column order.

    Rows are ordered by ``sort_by`` (when present; ``order``, if given, is the row order
    that does it) and columns by name; each column is fed to sha256 in a canonical byte form
    (see ``_update_column``), so the digest is a real sha256 of the content, not of 64-bit
    value hashes.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    >>> fingerprint(a, sort_by=["x"]) == fingerprint(a.iloc[::-1][["y", "x"]], sort_by=["x"])
    True
    """
    keys = [c for c in sort_by if c in table.columns]
    if order is not None:  # the caller already knows the order that sorts by ``sort_by``
        table = table.iloc[order]
    elif keys and len(table):
        if len(keys) == 1:
            order = table[keys[0]].astype(str).argsort(kind="stable").to_numpy()
        else:
            order = np.lexsort([table[k].astype(str).to_numpy(dtype=object) for k in reversed(keys)])
        table = table.iloc[order]
    digest = hashlib.sha256()
    digest.update(json.dumps({"columns": sorted(map(str, table.columns)), "rows": len(table)}).encode())
    for col in sorted(table.columns, key=str):
        digest.update(b"\0column\0" + str(col).encode() + b"\0")
        _update_column(digest, table[col])
    return digest.hexdigest()


def _update_column(digest: hashlib._Hash, values: pd.Series) -> None:
    """Feed a column's values, in a canonical byte form, to ``digest``.

    Numbers become little-endian int64 / float64 (missing values zeroed, with a null mask),
    datetimes int64 nanoseconds since the epoch in UTC, text UTF-8 with int64 offsets and a
    null mask; anything else (lists, mixed objects) is hashed as its ``str``. The kind is
    part of the digest, so ``1`` and ``1.0`` differ but ``object`` and ``str`` text do not.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    mask = values.isna().to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(values.dtype):
        digest.update(b"bool")
        digest.update(np.packbits(mask).tobytes())
        flags = values.to_numpy(dtype=bool, na_value=False) if mask.any() else values.to_numpy(dtype=bool)
        digest.update(flags.astype("u1").tobytes())
        return
    if pd.api.types.is_integer_dtype(values.dtype):
        digest.update(b"int")
        digest.update(np.packbits(mask).tobytes())
        digest.update(values.to_numpy(dtype="<i8", na_value=0).tobytes())
        return
    if pd.api.types.is_float_dtype(values.dtype):
        digest.update(b"float")
        digest.update(np.packbits(mask).tobytes())
        digest.update(np.where(mask, 0.0, values.to_numpy(dtype="<f8", na_value=0.0)).tobytes())
        return
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        digest.update(b"datetime")
        digest.update(values.astype("datetime64[ns]").to_numpy().view("<i8").tobytes())
        return
    try:
        arr = pa.array(values.array if pd.api.types.is_string_dtype(values.dtype) else values,
                       type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # lists, numbers mixed with text, ...
        arr = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype="<i8")[arr.offset : arr.offset + len(arr) + 1]
    start, stop = (int(offsets[0]), int(offsets[-1])) if len(offsets) else (0, 0)
    digest.update(b"text")
    digest.update(np.packbits(mask).tobytes())
    digest.update((offsets - start).tobytes())
    data = arr.buffers()[2]
    digest.update(memoryview(data)[start:stop] if data is not None else b"")


def write_plan(plan: InspectionPlan, out_dir: str | Path) -> dict[str, str]:
    """Write the plan's files atomically; return ``{file name: sha256}`` (manifest included).

    Examples
    --------
    >>> import tempfile
    >>> from credit_risk.scheduler import load_policy, plan_inspections
    >>> subjects = pd.DataFrame({"credit_code": ["S1", "S2"], "tier": "D", "region": "330102"})
    >>> inspectors = pd.DataFrame({"inspector_id": ["I1", "I2"], "department": "market_regulation",
    ...                            "home_region": "330102", "capacity": 5})
    >>> plan = plan_inspections(subjects, inspectors, load_policy(), period_start="2026-01-01",
    ...                         period_end="2026-07-01", seed=1)
    >>> sorted(write_plan(plan, tempfile.mkdtemp()))  # doctest: +NORMALIZE_WHITESPACE
    ['assignments.parquet', 'disclosure.csv', 'frame.parquet', 'manifest.json', 'plan.parquet',
     'summary.csv']
    """
    from credit_risk import __version__

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = plan.frame.copy()
    frame["stratum"] = frame["stratum"].astype(str).astype(object)
    summary = plan.summary()
    disclosure = plan.disclosure()
    write_parquet(plan.visits, out / "plan.parquet")
    write_parquet(plan.assignments, out / "assignments.parquet")
    write_parquet(frame, out / "frame.parquet")
    # Text cells a spreadsheet would run as a formula (a name like '=HYPERLINK(...)') are
    # escaped with a leading ' (credit_risk.atomic.escape_formulas).
    write_csv(disclosure, out / "disclosure.csv")
    write_csv(summary, out / "summary.csv")
    names = ("plan.parquet", "assignments.parquet", "frame.parquet", "disclosure.csv", "summary.csv")
    hashes = {name: sha256_file(out / name) for name in names}
    rows = {
        "plan.parquet": len(plan.visits),
        "assignments.parquet": len(plan.assignments),
        "frame.parquet": len(frame),
        "disclosure.csv": len(disclosure),
        "summary.csv": len(summary),
    }
    manifest = {
        "format": FORMAT,
        "library_version": __version__,
        "seed": plan.seed,
        "rng": "numpy PCG64 via SeedSequence(seed).spawn(2): [subjects, inspectors]",
        "period_start": plan.period_start.date().isoformat(),
        "period_end": plan.period_end.date().isoformat(),
        "policy": plan.policy.to_dict(),
        "inputs": dict(sorted(plan.fingerprints.items())),
        "stats": {k: plan.stats[k] for k in sorted(plan.stats)},
        "files": {n: {"sha256": hashes[n], "rows": rows[n]} for n in names},
        "plan_sha256": hashes["plan.parquet"],
        "disclosure_sha256": hashes["disclosure.csv"],
    }
    text = json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    write_text(out / "manifest.json", text)
    hashes["manifest.json"] = sha256_file(out / "manifest.json")
    return hashes
