"""The schematic tile map: every region gets its own cell near its position, for the province and for free-form regions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.data.synthetic.regions import COUNTIES
from credit_risk.report.tilemap import (
    Measure,
    region_frame,
    short_name_zh,
    tile_layout,
    tile_map_svg,
)
from credit_risk.report.zhejiang import COUNTY_EN, COUNTY_POSITION


def test_every_county_of_the_province_has_an_english_name_and_a_position():
    assert set(COUNTY_EN) == set(COUNTIES) == set(COUNTY_POSITION)
    lon, lat = np.array(list(COUNTY_POSITION.values())).T
    assert (lon > 118).all() and (lon < 123).all() and (lat > 27).all() and (lat < 31.5).all()  # Zhejiang's extent


def test_province_layout_gives_each_county_one_cell_keeping_north_and_west():
    layout = tile_layout(region_frame(COUNTIES))
    assert len(layout) == 90
    assert not layout.duplicated(["col", "row"]).any()
    cell = layout.set_index("region")
    # Huzhou's Changxing (north) above Wenzhou's Cangnan (south); Quzhou's Kaihua (west) left of Zhoushan's Shengsi
    assert cell.loc["330522", "row"] < cell.loc["330327", "row"]
    assert cell.loc["330824", "col"] < cell.loc["330922", "col"]
    assert cell.loc["330106", "group_name"] == "杭州 Hangzhou"


def test_short_names_on_the_tiles():
    assert short_name_zh("上城区") == "上城"
    assert short_name_zh("景宁畲族自治县") == "景宁"
    assert short_name_zh("义乌市") == "义乌"


def test_free_form_regions_placed_by_their_subjects_coordinates():
    # San Francisco postal codes with the businesses' coordinates: west stays west, north stays north
    ent = pd.DataFrame({"credit_code": list("abcdef"), "region": ["94121", "94121", "94133", "94124", "94116", "94133"],
                        "latitude": [37.78, 37.779, 37.80, 37.73, 37.745, 37.801],
                        "longitude": [-122.49, -122.489, -122.41, -122.39, -122.49, -122.409]})
    layout = tile_layout(region_frame(ent["region"], ent)).set_index("region")
    assert len(layout) == 4 and not layout.duplicated(["col", "row"]).any()
    assert layout.loc["94121", "col"] < layout.loc["94124", "col"]  # Richmond west of Bayview
    assert layout.loc["94133", "row"] < layout.loc["94124", "row"]  # North Beach north of Bayview
    assert layout.loc["94121", "name_en"] == "94121" and layout.loc["94121", "name_zh"] == ""


@settings(max_examples=25, deadline=None)
@given(st.sets(st.text(alphabet="0123456789ABZ", min_size=1, max_size=7), min_size=1, max_size=60),
       st.booleans())
def test_any_regions_get_distinct_cells(codes, with_positions):
    ent = None
    if with_positions:
        rng = np.random.default_rng(len(codes))
        ent = pd.DataFrame({"region": sorted(codes), "latitude": rng.uniform(-60, 60, len(codes)),
                            "longitude": rng.uniform(-170, 170, len(codes))})
    layout = tile_layout(region_frame(codes, ent))
    assert sorted(layout["region"]) == sorted(codes)
    assert not layout.duplicated(["col", "row"]).any()
    assert (layout[["col", "row"]] >= 0).all().all()


def test_svg_has_one_tile_per_region_names_values_and_grey_for_too_few():
    layout = tile_layout(region_frame(["330106", "330302", "331127"]))
    values = pd.Series({"330106": 0.25, "330302": 0.10, "331127": 0.5})
    subjects = pd.Series({"330106": 40, "330302": 12, "331127": 2})
    svg = tile_map_svg(layout, Measure("cd", "share in C or D", values, subjects, percent=True))
    assert svg.count('class="tile"') == 3
    for text in ("西湖", "Xihu", "25.0%", "鹿城", "Lucheng", "景宁", "Jingning", "too few to show",
                 "景宁畲族自治县 Jingning (331127, 丽水 Lishui)"):
        assert text in svg
    fills = dict(re.findall(r'data-region="(\d+)"><title>[^<]*</title><rect [^>]*fill="(#[0-9a-f]{6})"', svg))
    assert fills["331127"] == "#d9d9d9"  # 2 subjects: grey, not coloured by its 50 %
    assert fills["330106"] != fills["330302"]


def test_no_region_gives_an_empty_layout_and_missing_codes_are_dropped():
    assert tile_layout(region_frame([])).empty
    assert region_frame(["330106", None, float("nan")])["region"].tolist() == ["330106"]
