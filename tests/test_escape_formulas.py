"""Published CSV cells that a spreadsheet would run as a formula are escaped, whatever the column type."""

from __future__ import annotations

import pandas as pd

from credit_risk.atomic import escape_formulas


def test_formula_cells_are_prefixed_and_numbers_untouched():
    frame = pd.DataFrame({
        "name": ['=HYPERLINK("http://evil.example/?x","click")', "Acme", "+1", "@SUM(A1)", "\tx", "-x"],
        "n": [-1, 2, 3, 4, 5, 6],
    })
    out = escape_formulas(frame)
    assert out["name"].tolist() == [
        '\'=HYPERLINK("http://evil.example/?x","click")', "Acme", "'+1", "'@SUM(A1)", "'\tx", "'-x"
    ]
    assert out["n"].tolist() == [-1, 2, 3, 4, 5, 6]


def test_all_missing_and_nullable_string_columns_pass_without_a_warning():
    frame = pd.DataFrame({
        "empty": [None, None],
        "nullable": pd.Series([None, "=x"], dtype="string"),
        "numbers": [float("nan"), 1.0],
    })
    out = escape_formulas(frame)
    assert out["empty"].isna().all()
    assert out["nullable"].iloc[1] == "'=x" and pd.isna(out["nullable"].iloc[0])
    assert out["nullable"].dtype == frame["nullable"].dtype
