"""Issue 17 part 1: the vectorised checks flag exactly what a naive row-by-row check flags.

Each fast kernel (Arrow text, codes per distinct value, sort-order uniqueness, one Arrow cast for
ISO dates and numbers, Arrow's CSV reader) is compared on small random frames with a plain
Python or pandas reference written the obvious way.
"""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_risk.data import CreditDataset, load_catalog
from credit_risk.data import credit_code as cc
from credit_risk.data import validation as v
from credit_risk.data.dataset import _read_csv_arrow
from credit_risk.data.dates import parse_dates
from credit_risk.exceptions import DataContractError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: For the examples that build a whole dataset or write a file.
SLOWER = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CATALOG = load_catalog()

# Text that stresses blanks and Unicode whitespace (full-width space, NBSP, \x1c…).
_text = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list("ab1 \t\n\u3000\u00a0\x1c-é中")), max_size=4),
)


def _as(values, dtype):
    return pd.Series(values, dtype=object if dtype == "object" else "str")


@FAST
@given(st.lists(_text, max_size=12), st.sampled_from(["object", "str"]))
def test_present_is_not_missing_and_not_blank(values, dtype):
    naive = [x is not None and x.strip() != "" for x in values]
    assert v._present(_as(values, dtype)).tolist() == naive
    categorical = pd.Series(pd.Categorical(values))
    assert v._present(categorical).tolist() == naive


_key_text = st.sampled_from(["a", "b", "c", "aa", None])


@FAST
@given(st.lists(st.tuples(_key_text, st.integers(0, 3), st.sampled_from([None, 1.0, 2.0])), max_size=12),
       st.booleans())
def test_duplicated_matches_pandas(rows, sort):
    frame = pd.DataFrame(rows, columns=["code", "year", "x"]).astype({"code": "str", "year": "int64"})
    if sort:  # the sorted fast path and the hashing path must agree
        frame = frame.sort_values(["code", "year", "x"], na_position="first").reset_index(drop=True)
    for key in (["code"], ["code", "year"], ["year", "x"], ["code", "year", "x"]):
        assert v._duplicated(frame, key).tolist() == frame.duplicated(key, keep="first").tolist(), key


@FAST
@given(st.lists(_key_text, max_size=10), st.lists(_key_text, max_size=10))
def test_index_in_finds_first_position(values, known):
    known_unique = list(dict.fromkeys(k for k in known if k is not None))
    grouped = sorted(values, key=lambda x: (x is not None, x or ""))  # runs of equal codes: looked up once
    for rows in (values, grouped):
        found = v._index_in({"c": pd.Series(rows, dtype="str"), "d": pd.Series(values[::-1], dtype="str")},
                            pa.array(known_unique, type=pa.large_string()))
        assert found["d"].tolist() == [known_unique.index(x) if x in known_unique else -1 for x in values[::-1]]
        found = found["c"]
        naive = [known_unique.index(x) if x in known_unique else -1 for x in rows]
        assert found.tolist() == naive


# Codes of one byte length (é is two bytes, so "é" and "ab" share a length) and of other lengths.
_code_text = st.sampled_from(["ab", "ac", "ba", "é", "zz", "a", "abc", None])


@FAST
@given(st.lists(_code_text, max_size=12), st.lists(_code_text, max_size=8), st.booleans())
def test_sorted_subjects_are_found_by_binary_search_like_the_hash_join(values, known, group):
    """Sorted subjects of one byte length take the binary-search path; it finds what a dict finds."""
    known_sorted = sorted({k for k in known if k is not None}, key=lambda k: k.encode())
    rows = sorted(values, key=lambda x: (x is not None, (x or "").encode())) if group else values
    naive = [known_sorted.index(x) if x in known_sorted else -1 for x in rows]
    widths = {len(k.encode()) for k in known_sorted}
    assert (v._sorted_keys(pa.array(known_sorted, type=pa.string())) is not None) == (len(widths) == 1)
    found = v._index_in({"c": pd.Series(rows, dtype="str"), "o": pd.Series(rows, dtype=object)},
                        pa.array(known_sorted, type=pa.string()))
    assert found["c"].tolist() == naive
    assert found["o"].tolist() == naive


@FAST
@given(st.lists(_code_text, max_size=10), st.booleans())
def test_subjects_of_sorted_and_unsorted_enterprises(codes, sort):
    """The distinct codes in first-seen order, each with the established_on of its first row."""
    if sort:
        codes = sorted(codes, key=lambda x: (x is not None, (x or "").encode()))
    established = pd.to_datetime([f"2000-01-{i + 1:02d}" for i in range(len(codes))])
    ent = pd.DataFrame({"credit_code": pd.Series(codes, dtype="str"), "established_on": established})
    known, first_established = v._subjects(ent)
    firsts = {}
    for i, c in enumerate(codes):
        if c is not None:
            firsts.setdefault(c, i)
    assert known.to_pylist() == list(firsts)
    assert first_established.tolist() == [established[i].value for i in firsts.values()]


_number_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text(alphabet=st.sampled_from(list("0123456789+-.eE_, xinfatyINF")), min_size=1, max_size=8),
)


@FAST
@given(st.lists(_number_text, min_size=1, max_size=10))
def test_arrow_numbers_read_what_pandas_reads(values):
    series = pd.Series(values, dtype="str")
    present = v._present(series)
    fast = v._arrow_numbers(series, present)
    if fast is None:  # refused: pd.to_numeric decides, as before
        return
    slow = pd.to_numeric(series.where(present), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    np.testing.assert_array_equal(fast, slow)


_date_text = st.one_of(
    st.dates().map(str),
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
    st.sampled_from(["2020-1-5", "2020-01-05T00:00:00", "2020/01/05", " 2020-01-05 ", "", "2020-02-30", "1600-01-01"]),
)


@FAST
@given(st.lists(_date_text, min_size=1, max_size=10))
def test_iso_fast_path_equals_the_format_by_format_reading(values):
    series = pd.Series(values, dtype="str")
    present = v._present(series)
    fast, fast_issues = parse_dates(series, present, None, "records.start")
    with patch("credit_risk.data.dates._iso_days", return_value=None):  # the reading without the fast path
        slow, slow_issues = parse_dates(series, present, None, "records.start")
    pd.testing.assert_series_equal(fast, slow)
    assert [(i.message, i.mask.tolist()) for i in fast_issues] == [(i.message, i.mask.tolist()) for i in slow_issues]


_csv_field = st.text(alphabet=st.sampled_from(list('ab ,"\n1é')), max_size=4)


@SLOWER
@given(st.lists(st.lists(_csv_field, min_size=2, max_size=2), max_size=6), st.booleans())
def test_arrow_csv_reader_reads_what_pandas_reads(tmp_path_factory, rows, quote_all):
    import csv

    path = tmp_path_factory.mktemp("csv") / "enterprises.csv"  # region is coded: read as a categorical
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        writer.writerow(["credit_code", "region"])
        writer.writerows(rows)
    fast = _read_csv_arrow(path, "utf-8")
    if fast is None:
        return
    slow = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    assert fast.columns.tolist() == slow.columns.tolist()
    assert fast.astype(object).where(fast.notna(), None).values.tolist() == \
        slow.astype(object).where(slow.notna(), None).values.tolist()


@FAST
@given(st.lists(st.sampled_from([
    cc.complete("91330106MA2H00001"), cc.complete("91330106MA2H00002")[:-1] + "0", "91330106MA2H000é1",
    "short", "", cc.complete("91330106MA2H00003").lower(), None,
]), min_size=1, max_size=8))
def test_credit_code_check_reads_arrow_bytes_like_python(codes):
    fast = cc.invalid_mask(pd.Series(codes, dtype="str").fillna(""))
    assert fast.tolist() == [not cc.is_valid(c or "") for c in codes]


# -- records rules: per (kind, outcome) and (kind, severity) tables vs a row-by-row loop ------------
_kinds = st.sampled_from(["inspection", "penalty", "complaint", "tax_rating", "gossip", None])
_outcomes = st.sampled_from(["pass", "problem", "verified", "A", "meh", None])
_severities = st.sampled_from(["info", "serious", "catastrophic", None])


def _naive_problems(kinds, outcomes, severities):
    """(row, column) of every outcome or severity problem, checked one row at a time."""
    out = set()
    for i, (k, o, s) in enumerate(zip(kinds, outcomes, severities, strict=True)):
        spec = CATALOG.kinds.get(k)
        if spec is not None and spec.outcomes and o is not None and o not in spec.outcomes:
            out.add((i + 1, "outcome"))
        if s is not None:
            scale = CATALOG.scale(k) if spec is not None else CATALOG.severities
            if s not in scale:
                out.add((i + 1, "severity"))
    return out


@SLOWER
@given(st.lists(st.tuples(_kinds, _outcomes, _severities), min_size=1, max_size=10), st.booleans())
def test_record_rules_flag_what_a_row_loop_flags(raw_tables, rows, categorical):
    kinds, outcomes, severities = (list(c) for c in zip(*rows, strict=True))
    n = len(rows)
    codes = raw_tables["enterprises"]["credit_code"].tolist()
    records = pd.DataFrame({
        "record_id": [f"r{i}" for i in range(n)], "credit_code": [codes[i % 3] for i in range(n)],
        "kind": kinds, "domain": "market", "start": "2022-01-10", "outcome": outcomes, "severity": severities,
    })
    if categorical:  # as Parquet gives them
        records = records.astype({"kind": "category", "outcome": "category", "severity": "category"})
    expected = _naive_problems(kinds, outcomes, severities)
    expected |= {(i + 1, "kind") for i, k in enumerate(kinds) if k not in CATALOG.kinds}
    try:
        CreditDataset.from_frames(raw_tables["enterprises"], records)
        found = set()
    except DataContractError as exc:
        found = {(p.row, p.column) for p in exc.problems if p.column in ("outcome", "severity", "kind")}
    assert found == expected


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_object_and_arrow_text_give_the_same_dataset(raw_tables, dtype):
    tables = {k: f.astype({c: dtype for c in f.columns}) for k, f in raw_tables.items()}
    ds = CreditDataset.from_frames(tables["enterprises"], tables["records"])
    assert str(ds.enterprises["credit_code"].dtype) == "str"
    ref = CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"])
    assert ds.fingerprint() == ref.fingerprint()


def test_tables_checked_in_threads_list_the_same_problems_in_the_same_order(raw_tables, codes, monkeypatch):
    raw_tables["enterprises"].loc[0, "registered_capital"] = "lots"
    raw_tables["records"].loc[1, "start"] = "2021-02-30"
    raw_tables["records"].loc[2, "credit_code"] = "91330106MA2H0000XX"
    raw_tables["records"].loc[3, "record_id"] = "r1"
    reports = pd.DataFrame({"credit_code": [codes[0], codes[0], "nobody"], "year": ["2021", "2021", "1800"],
                            "filed_on": ["2022-03-01", "2022-03-01", "2021-01-01"]})

    def problems(threads):
        monkeypatch.setattr(v, "_threads", lambda tables: threads)
        with pytest.raises(DataContractError) as info:
            CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"], annual_reports=reports)
        return [str(p) for p in info.value.problems]

    one = problems(1)
    assert len(one) >= 6
    assert problems(4) == one


# -- date and year rules over whole columns vs a row-by-row loop ------------------------------------
_day = st.one_of(st.none(), st.dates(min_value=pd.Timestamp("1850-01-01").date(),
                                     max_value=pd.Timestamp("2150-12-31").date()).map(pd.Timestamp))
_year = st.one_of(st.integers(1850, 2150), st.integers(-(2**62), 2**62))


@FAST
@given(st.lists(st.tuples(_year, _day, st.integers(-1, 2)), min_size=1, max_size=10),
       st.lists(_day, min_size=3, max_size=3), st.sampled_from(["int64", "Int64", "float64"]))
def test_annual_report_years_flag_what_a_row_loop_flags(rows, founded, dtype):
    years, filed, subject = (list(c) for c in zip(*rows, strict=True))
    if dtype == "float64":  # a fraction is reported as not an integer elsewhere; here it compares as its floor
        years = [y + 0.5 if i % 2 else float(y) for i, y in enumerate(years)]
    ar = pd.DataFrame({"year": pd.Series(years, dtype=dtype),
                       "filed_on": pd.Series(filed, dtype="datetime64[ns]")})
    established = pd.Series(founded, dtype="datetime64[ns]").to_numpy()
    col = v._Collector({})
    warned = {}
    col.warn = lambda table, mask, column, what: warned.setdefault(column, np.asarray(mask, dtype=bool).tolist())
    with patch.object(v, "_CHUNK", 3):  # several slices, the last one short
        v._check_annual_reports(ar, established, np.asarray(subject, dtype=np.int32), col)

    possible = [1900 <= y <= 2100 for y in years]
    early = [ok and f is not None and f.year <= y for ok, f, y in zip(possible, filed, years, strict=True)]
    before = [ok and s >= 0 and founded[s] is not None and y < founded[s].year
              for ok, s, y in zip(possible, subject, years, strict=True)]
    found = [(p.row, p.column) for p in col.problems if p.row is not None]
    expected = [(i + 1, "year") for i, ok in enumerate(possible) if not ok][:v.MAX_ROWS_PER_CHECK]
    expected += [(i + 1, "filed_on") for i, e in enumerate(early) if e]
    assert found == expected
    assert warned.get("year", [False] * len(rows)) == before


@FAST
@given(st.lists(st.tuples(_day, _day), min_size=1, max_size=10), st.lists(_day, min_size=2, max_size=2),
       st.lists(st.integers(-1, 1), min_size=10, max_size=10))
def test_date_orders_windows_and_founding_flag_what_a_row_loop_flags(rows, founded, subject):
    first, second = (pd.Series(list(c), dtype="datetime64[ns]") for c in zip(*rows, strict=True))
    frame = pd.DataFrame({"start": first, "end": second})
    col = v._Collector({})
    v._check_order("records", frame, "start", "end", col)
    assert [p.row for p in col.problems] == [
        i + 1 for i, (a, b) in enumerate(rows) if a is not None and b is not None and b < a]
    col = v._Collector({})
    v._check_event_window("relations", frame, col)
    assert [(p.row, p.message[:9]) for p in col.problems] == (
        [(i + 1, "is before") for i, (a, _) in enumerate(rows) if a is not None and a.year < 1900]
        + [(i + 1, "is after ") for i, (a, _) in enumerate(rows) if a is not None and a.year > 2100])
    subject = np.asarray(subject[:len(rows)], dtype=np.int32)
    with patch.object(v, "_CHUNK", 3):
        before = v._before_established(first.to_numpy(), pd.Series(founded, dtype="datetime64[ns]").to_numpy(),
                                       subject)
    assert before.tolist() == [a is not None and s >= 0 and founded[s] is not None and a < founded[s]
                               for (a, _), s in zip(rows, subject, strict=True)]


@FAST
@given(st.lists(st.integers(-1, 3), min_size=1, max_size=12), st.lists(st.integers(-1, 2), min_size=12, max_size=12),
       st.lists(st.booleans(), min_size=4, max_size=4), st.booleans())
def test_slice_by_slice_kernels_equal_whole_column_indexing(codes, second, per_unique, missing):
    """Spreading per-value results and per-pair tables slice by slice equals numpy fancy indexing."""
    codes = np.asarray(codes, dtype=np.int8)
    second = np.asarray(second[:len(codes)], dtype=np.int8)
    table = np.arange(20, dtype=np.float64).reshape(5, 4)
    uniques = np.asarray(["a", "b", "c", "d"], dtype=object)
    whole = np.append(np.asarray(per_unique), missing)[codes]
    with patch.object(v, "_CHUNK", 3):
        assert v._per_value(codes, per_unique, missing).tolist() == whole.tolist()
        assert v._per_value(codes, np.arange(4, dtype=np.int8), -1).tolist() == np.append(np.arange(4), -1)[codes].tolist()
        assert v._per_pair(codes, second, table).tolist() == table[codes, second].tolist()
        assert v._seen(codes, uniques) == [u for i, u in enumerate(uniques) if i in set(codes.tolist())]
        category = pd.Series(pd.Categorical.from_codes(codes, categories=["a", " ", "c", "d"]))
        assert v._present(category).tolist() == [c not in (-1, 1) for c in codes.tolist()]


_ns = st.one_of(st.none(), st.sampled_from([pd.Timestamp("2020-01-05"), pd.Timestamp("2020-01-05 09:30"),
                                            pd.Timestamp("1677-09-21 00:13"), pd.Timestamp("2262-04-11")]))


@FAST
@given(st.data())
def test_native_columns_are_typed_like_the_general_path(data):
    """Parquet-native floats, ints, dates and categoricals: same typed column, same problems, same order."""
    schema = v.TABLES["records"]
    cases = [
        (schema.column("value"), pd.Series(data.draw(st.lists(
            st.sampled_from([1.5, -2.0, np.nan, np.inf, -np.inf]), min_size=1, max_size=8)), dtype="float64")),
        (v.TABLES["annual_reports"].column("year"), pd.Series(data.draw(st.lists(
            st.integers(-5, 3000), min_size=1, max_size=8)), dtype="int64")),
        (schema.column(data.draw(st.sampled_from(["start", "end"]))),
         pd.Series(data.draw(st.lists(_ns, min_size=1, max_size=8)), dtype="datetime64[ns]")),
        (schema.column(data.draw(st.sampled_from(["record_id", "credit_code"]))),
         pd.Series(data.draw(st.lists(_text, min_size=1, max_size=8)), dtype="str")),
        (schema.column(data.draw(st.sampled_from(["kind", "outcome"]))), pd.Series(pd.Categorical(
            data.draw(st.lists(st.sampled_from(["a", "b", None]), min_size=1, max_size=8)),
            categories=data.draw(st.sampled_from([["a", "b"], ["a", "b", " "]]))))),
    ]
    for c, raw in cases:
        native, general = v._Collector({}), v._Collector({})
        native.raw = general.raw = {"records": pd.DataFrame({c.name: raw})}  # values are quoted from here
        typed = v._type_column(schema, c, raw, native, {})
        with patch.object(v, "_type_native", return_value=None):
            expected = v._type_column(schema, c, raw, general, {})
        assert [str(p) for p in native.problems] == [str(p) for p in general.problems], c.name
        if c.type == "int":  # the general path gives Int64; normalize_tables makes it int64 when none is missing
            expected = expected.astype("int64")
        pd.testing.assert_series_equal(typed, expected, check_names=False)


def test_parts_checked_in_threads_log_the_same_warnings_in_the_same_order(raw_tables, codes, monkeypatch, caplog):
    import logging

    raw_tables["records"].loc[0, "start"] = "2014-01-10"  # before its subject was established
    raw_tables["records"].loc[0, "published_on"] = None
    raw_tables["enterprises"].loc[1, "established_on"] = "2031-01-01"  # long after the latest record
    reports = pd.DataFrame({"credit_code": [codes[0], codes[1]], "year": ["2022", "2023"],
                            "filed_on": ["2023-05-01", "2024-05-01"], "revenue": ["-2", "3"], "tax_paid": ["-1", "0"]})

    def warnings(threads):
        monkeypatch.setattr(v, "_threads", lambda tables: threads)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="credit_risk.data.validation"):
            CreditDataset.from_frames(raw_tables["enterprises"], raw_tables["records"], annual_reports=reports)
        return [r.getMessage() for r in caplog.records]

    one = warnings(1)
    assert len(one) >= 4
    assert warnings(4) == one


@FAST
@given(st.lists(st.one_of(st.integers(-(2**63) + 1, 2**63 - 1), st.just(-(2**63)),
                          st.integers(-106_751, 106_751).map(lambda d: d * 86_400 * 10**9),
                          st.tuples(st.integers(-106_751, 106_751), st.sampled_from([-1, 1])).map(
                              lambda t: t[0] * 86_400 * 10**9 + t[1])), min_size=1, max_size=20))
def test_odd_ticks_equal_the_integer_remainder(ticks):
    lo, hi = pd.Timestamp.min.ceil("D").value, pd.Timestamp.max.floor("D").value
    naive = [t != -(2**63) and (t % (86_400 * 10**9) != 0 or t < lo or t > hi) for t in ticks]
    assert v._odd_ticks(np.asarray(ticks, dtype=np.int64), lo, hi).tolist() == naive


@FAST
@given(st.lists(st.one_of(st.none(), st.dates().map(str)), min_size=1, max_size=12), st.integers(1, 4))
def test_iso_dates_read_chunk_by_chunk_equal_one_piece(values, pieces):
    """CSV text arrives in many chunks: the ISO fast path reads them slice by slice, as one piece."""
    from credit_risk.data import dates

    cut = [len(values) * i // pieces for i in range(pieces + 1)]
    chunked = pa.chunked_array([pa.array(values[a:b], type=pa.large_string()) for a, b in zip(cut, cut[1:], strict=False)],
                               type=pa.large_string())
    series = pd.Series(pd.arrays.ArrowStringArray(chunked), dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    whole = pd.Series(values, dtype="str")
    with patch.object(dates, "_SLICE", 2):
        fast, issues = parse_dates(series, v._present(series), None, "records.start")
    expected, expected_issues = parse_dates(whole, v._present(whole), None, "records.start")
    pd.testing.assert_series_equal(fast, expected)
    assert [i.message for i in issues] == [i.message for i in expected_issues]
