"""A schematic tile map of regions as inline SVG: one square per region, coloured by a measure.

:func:`region_frame` names and places the regions that occur in the data: the synthetic
province's counties (GB/T 2260 codes) by the positions of their seats
(:mod:`credit_risk.report.zhejiang`); any other regions (e.g. San Francisco postal codes) by
the median coordinates of their subjects when the enterprises table has ``latitude`` and
``longitude``, else in code order. :func:`tile_layout` assigns each region a grid cell as close
as possible to its position (a minimum-cost assignment, so neighbours stay neighbours);
:func:`tile_map_svg` draws the grid with thicker lines between groups (prefectures, or the
first digits of a postal code).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from credit_risk.data.synthetic.regions import CITIES, COUNTIES
from credit_risk.exceptions import ConfigError
from credit_risk.report.zhejiang import CITY_EN, COUNTY_EN, COUNTY_POSITION

__all__ = ["Measure", "colour_scale", "region_frame", "short_name_zh", "tile_layout", "tile_map_svg"]

#: A region with fewer subjects than this is drawn grey: its share says little.
MIN_SUBJECTS = 5
_NO_DATA = "#d9d9d9"


def short_name_zh(name: str) -> str:
    """The name written on a tile: 上城区 → 上城, 景宁畲族自治县 → 景宁 (the full name is in the tooltip)."""
    if name.endswith("自治县"):
        return name[:2]
    if len(name) >= 3 and name[-1] in "区县市":
        return name[:-1]
    return name


def region_frame(regions, enterprises: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per region: ``region``, ``name_zh``, ``name_en``, ``group``, ``group_name``, ``x``, ``y``.

    ``x``, ``y`` are map coordinates (east, north; NaN where unknown). Regions of the synthetic
    province get their Chinese and English names and their prefecture as group; others keep
    their code as English name and are grouped by their first characters.
    """
    codes = sorted({str(r) for r in regions if r is not None and not (isinstance(r, float) and math.isnan(r))})
    coords: dict[str, tuple[float, float]] = {}
    if enterprises is not None and {"region", "latitude", "longitude"} <= set(enterprises.columns):
        e = enterprises[["region", "latitude", "longitude"]].dropna()
        med = e.groupby(e["region"].astype(str))[["longitude", "latitude"]].median()
        coords = {str(k): (float(v["longitude"]), float(v["latitude"])) for k, v in med.iterrows()}
    known = all(c in COUNTIES for c in codes) and bool(codes)
    rows = []
    for c in codes:
        if known:
            lon, lat = COUNTY_POSITION[c]
            rows.append({"region": c, "name_zh": COUNTIES[c], "name_en": COUNTY_EN[c], "group": c[:4],
                         "group_name": f"{CITIES[c[:4]]} {CITY_EN[c[:4]]}", "lon": lon, "lat": lat})
        else:
            lon, lat = coords.get(c, (math.nan, math.nan))
            group = c[:-2] if len(c) > 3 else c
            rows.append({"region": c, "name_zh": "", "name_en": c, "group": group, "group_name": group,
                         "lon": lon, "lat": lat})
    frame = pd.DataFrame(rows, columns=["region", "name_zh", "name_en", "group", "group_name", "lon", "lat"])
    lat0 = float(np.nanmean(frame["lat"])) if frame["lat"].notna().any() else 0.0
    frame["x"] = frame["lon"] * math.cos(math.radians(lat0))
    frame["y"] = frame["lat"]
    return frame.drop(columns=["lon", "lat"])


def tile_layout(frame: pd.DataFrame, *, room: float = 1.6) -> pd.DataFrame:
    """Grid cells ``col``, ``row`` (row 0 at the top) for the regions of :func:`region_frame`.

    Placed regions go to the free cell nearest their position (one assignment minimising the
    summed squared distances over a grid with about ``room`` × as many cells as regions);
    regions without a position follow in code order in rows below.
    """
    from scipy.optimize import linear_sum_assignment

    out = frame.copy()
    out["col"], out["row"] = 0, 0
    placed = out["x"].notna() & out["y"].notna()
    n = int(placed.sum())
    bottom = 0
    if n:
        x, y = out.loc[placed, "x"].to_numpy(float), out.loc[placed, "y"].to_numpy(float)
        w, h = max(np.ptp(x), 1e-9), max(np.ptp(y), 1e-9)
        cell = 1.0 if n == 1 else math.sqrt(max(w * h, max(w, h) ** 2 / n) / (room * n))
        cols = int(math.floor(w / cell)) + 3
        rows = int(math.floor(h / cell)) + 3
        cx = x.min() - cell + (np.arange(cols) + 0.5) * cell
        cy = y.max() + cell - (np.arange(rows) + 0.5) * cell
        gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
        gx, gy = gx.ravel(), gy.ravel()
        cost = (x[:, None] - cx[gx][None, :]) ** 2 + (y[:, None] - cy[gy][None, :]) ** 2
        r, c = linear_sum_assignment(cost)
        col, row = np.empty(n, int), np.empty(n, int)
        col[r], row[r] = gx[c], gy[c]
        # drop empty border rows and columns
        col -= col.min()
        row -= row.min()
        out.loc[placed, "col"], out.loc[placed, "row"] = col, row
        bottom = int(row.max()) + 2
    rest = out.index[~placed]
    if len(rest):
        width = max(int(out.loc[placed, "col"].max()) + 1 if n else 0, math.ceil(math.sqrt(len(rest) * 1.5)))
        for i, idx in enumerate(rest):
            out.loc[idx, "col"], out.loc[idx, "row"] = i % width, bottom + i // width
    return out


def colour_scale(values: np.ndarray, vmin: float, vmax: float) -> list[str]:
    """Hex colours of ``values`` on a light-yellow → dark-red scale (YlOrRd); NaN → grey."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["YlOrRd"]
    span = vmax - vmin if vmax > vmin else 1.0
    out = []
    for v in values:
        if not np.isfinite(v):
            out.append(_NO_DATA)
        else:
            out.append(to_hex(cmap(0.08 + 0.84 * min(max((v - vmin) / span, 0.0), 1.0))))
    return out


def _text_colour(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#fff"


class Measure:
    """A value per region to colour the map by.

    Parameters
    ----------
    key : str
        Identifier (used in the page's element ids).
    label : str
        What the value is, shown in the legend and the tooltip (e.g. "share of subjects in tiers C or D").
    values : Series
        Value per region code.
    subjects : Series
        Subjects per region behind each value (regions below :data:`MIN_SUBJECTS` are grey).
    percent : bool
        Format as a percentage.

    Examples
    --------
    >>> import pandas as pd
    >>> m = Measure("visits", "visits per 100 subjects", pd.Series({"330106": 4.2}), pd.Series({"330106": 50}),
    ...             percent=False)
    >>> m.fmt(4.2)
    '4.20'
    """

    def __init__(self, key: str, label: str, values: pd.Series, subjects: pd.Series, *, percent: bool):
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", str(key)):
            raise ConfigError(f"map measure key {key!r} must start with a letter and hold only letters, digits, _ "
                              "and - (it names the page's elements); rename it, e.g. 'visits_per_100'")
        self.key, self.label, self.percent = key, label, percent
        self.values = values.astype(float)
        self.subjects = subjects.astype(float)

    def fmt(self, v: float) -> str:
        if not np.isfinite(v):
            return "–"
        return f"{100 * v:.1f}%" if self.percent else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}")


def tile_map_svg(layout: pd.DataFrame, measure: Measure, *, tile: int = 62, gap: int = 3,
                 title: str = "") -> str:
    """The tile map of ``layout`` (:func:`tile_layout`) coloured by ``measure``, as an ``<svg>`` element."""
    pitch = tile + gap
    cols = int(layout["col"].max()) + 1 if len(layout) else 1
    rows = int(layout["row"].max()) + 1 if len(layout) else 1
    legend_h = 54
    width, height = cols * pitch + gap, rows * pitch + gap + legend_h
    vals = measure.values.reindex(layout["region"]).to_numpy(float)
    subj = measure.subjects.reindex(layout["region"]).fillna(0).to_numpy(float)
    vals = np.where(subj >= MIN_SUBJECTS, vals, np.nan)
    finite = vals[np.isfinite(vals)]
    vmin = 0.0 if measure.percent or not len(finite) else float(finite.min())
    vmax = float(finite.max()) if len(finite) else 1.0
    fills = colour_scale(vals, vmin, vmax)
    cells: dict[tuple[int, int], str] = {(int(c), int(r)): str(g) for c, r, g in
                                         zip(layout["col"], layout["row"], layout["group"], strict=True)}
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="tilemap" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" data-measure="{e(measure.key)}">',
             f"<title>{e(title or measure.label)}</title>"]
    for (row, fill, v, n) in zip(layout.itertuples(index=False), fills, vals, subj, strict=True):
        x0, y0 = gap + int(row.col) * pitch, gap + int(row.row) * pitch
        ink = _text_colour(fill)
        name = f"{row.name_zh} {row.name_en}".strip()
        tip = (f"{name} ({row.region}, {row.group_name}) — {measure.label}: {measure.fmt(v)}"
               f" over {int(n):,} subjects" if np.isfinite(v) else
               f"{name} ({row.region}, {row.group_name}) — {int(n):,} subjects, too few to show")
        parts.append(f'<g class="tile" data-region="{e(str(row.region))}"><title>{e(tip)}</title>'
                     f'<rect x="{x0}" y="{y0}" width="{tile}" height="{tile}" rx="3" fill="{fill}"/>')
        cx = x0 + tile / 2
        lines = []
        if row.name_zh:
            lines.append((short_name_zh(str(row.name_zh)), 13, "700"))
        lines.append((str(row.name_en), 9 if len(str(row.name_en)) <= 10 else 8, "400"))
        lines.append((measure.fmt(v), 11, "600"))
        y = y0 + (15 if len(lines) == 3 else 22)
        for text, size, weight in lines:
            parts.append(f'<text x="{cx:.1f}" y="{y}" font-size="{size}" font-weight="{weight}" '
                         f'fill="{ink}" text-anchor="middle">{e(text)}</text>')
            y += size + 6
        parts.append("</g>")
    # thicker lines where a tile borders another group or the sea
    half = gap / 2
    for (c, r), g in cells.items():
        x0, y0 = gap + c * pitch - half, gap + r * pitch - half
        for dc, dr, seg in ((1, 0, (x0 + pitch, y0, x0 + pitch, y0 + pitch)), (-1, 0, (x0, y0, x0, y0 + pitch)),
                            (0, 1, (x0, y0 + pitch, x0 + pitch, y0 + pitch)), (0, -1, (x0, y0, x0 + pitch, y0))):
            if cells.get((c + dc, r + dr)) != g:
                parts.append(f'<line x1="{seg[0]:.1f}" y1="{seg[1]:.1f}" x2="{seg[2]:.1f}" y2="{seg[3]:.1f}" '
                             'stroke="#37474f" stroke-width="2" stroke-linecap="square"/>')
    # legend: a gradient bar with its ends, and the grey of too few subjects
    ly = rows * pitch + gap + 14
    lw = min(260, width - 150)
    stops = colour_scale(np.linspace(vmin, vmax, 9), vmin, vmax)
    grad = f"grad-{e(measure.key)}"
    parts.append(f'<defs><linearGradient id="{grad}">' + "".join(
        f'<stop offset="{i / 8:.3f}" stop-color="{s}"/>' for i, s in enumerate(stops)) + "</linearGradient></defs>")
    parts.append(f'<rect class="legend" x="{gap}" y="{ly}" width="{lw}" height="12" fill="url(#{grad})"/>')
    parts.append(f'<text x="{gap}" y="{ly + 26}" font-size="10" fill="#333">{e(measure.fmt(vmin))}</text>')
    parts.append(f'<text x="{gap + lw}" y="{ly + 26}" font-size="10" fill="#333" text-anchor="end">'
                 f"{e(measure.fmt(vmax))}</text>")
    parts.append(f'<text x="{gap + lw / 2}" y="{ly + 38}" font-size="10" fill="#333" text-anchor="middle">'
                 f"{e(measure.label)}</text>")
    parts.append(f'<rect x="{gap + lw + 14}" y="{ly}" width="12" height="12" fill="{_NO_DATA}"/>'
                 f'<text x="{gap + lw + 30}" y="{ly + 10}" font-size="10" fill="#333">'
                 f"fewer than {MIN_SUBJECTS} subjects</text>")
    parts.append("</svg>")
    return "".join(parts)


def measure_table(layout: pd.DataFrame, measures: Mapping[str, Measure]) -> pd.DataFrame:
    """The values behind the maps: one row per region, one column per measure (the map's table twin)."""
    table = layout[["region", "name_zh", "name_en", "group_name"]].copy()
    for m in measures.values():
        table[m.label] = m.values.reindex(layout["region"]).to_numpy(float)
    first = next(iter(measures.values()), None)
    if first is not None:
        table.insert(4, "subjects", first.subjects.reindex(layout["region"]).fillna(0).to_numpy(int))
    return table
