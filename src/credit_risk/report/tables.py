"""HTML tables for the report: escaped cells, numbers formatted per column, a definition per header.

A header's definition is shown as its tooltip and, when the table is given ``definitions``,
as a short list under the table, so that no number in the report stands without saying what
it counts and how it is weighted.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = ["fmt_count", "fmt_number", "fmt_percent", "table_html"]


def _missing(v) -> bool:
    try:
        return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def fmt_count(v) -> str:
    """Whole number with thousands separators (weighted counts are rounded)."""
    return "–" if _missing(v) else f"{float(v):,.0f}"


def fmt_percent(v, digits: int = 1) -> str:
    return "–" if _missing(v) else f"{100 * float(v):.{digits}f}%"


def fmt_number(v, digits: int = 3) -> str:
    if _missing(v):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):,.{digits}f}"
    return str(v)


def table_html(
    frame: pd.DataFrame,
    *,
    formats: Mapping[str, Callable[[object], str]] | None = None,
    headers: Mapping[str, str] | None = None,
    definitions: Mapping[str, str] | None = None,
    caption: str = "",
    table_id: str = "",
    css_class: str = "",
    cell_class: Callable[[str, object], str] | None = None,
    scroll: bool = False,
) -> str:
    """``frame`` as an HTML table.

    Parameters
    ----------
    formats : column → function of a value returning its text (default :func:`fmt_number`).
    headers : column → the header shown (default: the column name).
    definitions : column → what the column counts; shown as the header's tooltip and listed under the table.
    cell_class : (column, value) → a CSS class for the cell (e.g. a verdict colour).
    scroll : put the table in a box of limited height that scrolls.
    """
    formats = formats or {}
    headers = headers or {}
    definitions = definitions or {}
    e = html.escape
    attrs = (f' id="{e(table_id)}"' if table_id else "") + f' class="data {e(css_class)}"'
    out = [f"<table{attrs}>"]
    if caption:
        out.append(f"<caption>{e(caption)}</caption>")
    out.append("<thead><tr>")
    for col in frame.columns:
        tip = definitions.get(col, "")
        title = f' title="{e(tip)}"' if tip else ""
        out.append(f"<th{title}>{e(str(headers.get(col, col)))}</th>")
    out.append("</tr></thead><tbody>")
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns}
    for row in frame.itertuples(index=False):
        out.append("<tr>")
        for col, v in zip(frame.columns, row, strict=True):
            text = formats.get(col, fmt_number)(v)
            cls = []
            if numeric[col]:
                cls.append("num")
            if cell_class is not None:
                extra = cell_class(col, v)
                if extra:
                    cls.append(extra)
            c = f' class="{" ".join(cls)}"' if cls else ""
            out.append(f"<td{c}>{e(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    body = "".join(out)
    if scroll:
        body = f'<div class="scroll">{body}</div>'
    listed = [(headers.get(c, c), definitions[c]) for c in frame.columns if c in definitions]
    if listed:
        body += '<dl class="defs">' + "".join(f"<dt>{e(str(h))}</dt><dd>{e(d)}</dd>" for h, d in listed) + "</dl>"
    return body
