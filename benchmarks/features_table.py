"""Print the markdown table of features per view on the committed synthetic sample.

Usage::

    .venv/bin/python benchmarks/features_table.py [data/sample] [2025-01-01]
"""

from __future__ import annotations

import sys

import pandas as pd

from credit_risk.data import load_dataset
from credit_risk.features import VIEWS, build_features


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "data/sample"
    as_of = pd.Timestamp(sys.argv[2] if len(sys.argv) > 2 else "2025-01-01")
    ds = load_dataset(path)
    cut = pd.DataFrame({"credit_code": ds.enterprises["credit_code"], "as_of": as_of})
    fm = build_features(ds, cut)
    print(f"Sample `{path}`: {ds.n_subjects:,} subjects, {len(ds.records):,} records, as of {as_of.date()}; "
          f"{len(fm.info)} features.\n")
    for view in VIEWS:
        infos = [i for i in fm.info if i.view == view]
        print(f"### {view}\n")
        print("| feature | 中文名 | direction | description | non-missing | mean / top value |")
        print("|---|---|---:|---|---:|---|")
        for i in infos:
            col = fm.X[i.name]
            share = f"{col.notna().mean():.0%}"
            if i.categorical:
                top = col.value_counts(normalize=True)
                summary = f"{top.index[0]} ({top.iloc[0]:.0%})" if len(top) and top.iloc[0] > 0 else "–"
            else:
                summary = f"{col.mean():.3g}" if col.notna().any() else "–"
            kind = " (categorical)" if i.categorical else ""
            print(f"| `{i.name}` | {i.description_zh} | {i.direction:+d} | {i.description}{kind} | {share} | {summary} |")
        print()


if __name__ == "__main__":
    main()
