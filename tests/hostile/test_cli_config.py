"""Hostile CLI arguments and config files (issue 12 items 5, 6, 7 CLI/config parts, 17, 18).

Every case runs ``credit_risk.cli.main`` in-process and must end with the expected exit code and
one clean line on stderr (``error: …`` matching the expected message), within a few seconds —
never a traceback, never a silent acceptance. ``CASES`` is the machine-readable catalogue:
``pytest tests/hostile -q`` prints "hostile inputs: N tried — …" with the outcome counts.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# ----------------------------------------------------------------------------- inputs

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"  # 9**9 ≈ 387 million strings once expanded, from about 340 bytes


@dataclass
class World:
    """Files every case may use: a valid tiny dataset, scores, a roster, a scratch folder."""

    tmp: Path
    data: Path
    scores: Path
    roster: Path

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def dataset_with(self, manifest: str, name: str = "ds") -> Path:
        """A copy of the valid dataset with this ``dataset.yaml``."""
        folder = self.tmp / name
        folder.mkdir()
        for f in self.data.iterdir():
            (folder / f.name).write_bytes(f.read_bytes())
        (folder / "dataset.yaml").write_text(manifest, encoding="utf-8")
        return folder

    def train_config(self, text: str, name: str = "cfg", extra: dict[str, str] | None = None) -> Path:
        folder = self.tmp / name
        folder.mkdir(exist_ok=True)
        for fname, content in (extra or {}).items():
            (folder / fname).write_text(content, encoding="utf-8")
        path = folder / "train.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def train(self, *more: object) -> list[object]:
        return ["train", "--data", self.data, "--out", self.tmp / "models",
                "--tracking-uri", f"sqlite:///{self.tmp / 'mlflow.db'}", *more]

    def score(self, *more: object, as_of: str | None = "2024-01-01", out: object = None) -> list[object]:
        when = ["--as-of", as_of] if as_of is not None else []
        return ["score", "--model", self.tmp / "no-model", "--data", self.data, *when,
                "--out", out if out is not None else self.tmp / "scores-out.parquet", *more]

    def plan(self, *more: object, start: str = "2024-01-01", end: str = "2024-02-01",
             scores: object = None, roster: object = None) -> list[object]:
        return ["plan", "--scores", scores or self.scores, "--data", self.data, "--inspectors",
                roster or self.roster, "--start", start, "--end", end, "--seed", "1",
                "--out", self.tmp / "plan", *more]


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """Import the heavy modules once, so the time limits measure each input's cost, not imports."""
    import credit_risk.scheduler
    import credit_risk.scoring
    import credit_risk.train  # noqa: F401


@pytest.fixture
def world(tmp_path, raw_tables, codes) -> World:
    data = tmp_path / "data"
    data.mkdir()
    for name, frame in raw_tables.items():
        frame.to_csv(data / f"{name}.csv", index=False)
    scores = tmp_path / "scores.parquet"
    pd.DataFrame({"credit_code": codes, "tier": ["A", "B", "D"], "probability": [0.01, 0.05, 0.3]}).to_parquet(scores)
    roster = tmp_path / "roster.csv"
    pd.DataFrame({"inspector_id": ["i1", "i2"], "department": ["market_regulation"] * 2,
                  "home_region": ["330106", "330106"], "capacity": ["10", "12"]}).to_csv(roster, index=False)
    return World(tmp_path, data, scores, roster)


# ----------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Case:
    """One hostile input: the issue item, how to build the argv, the exit code and message expected."""

    id: str
    item: str
    argv: Callable[[World], list[object]]
    code: int
    match: str
    seconds: float = 5.0
    forbidden: str | None = None  # text that must not appear in the output (e.g. a leaked file)


def _dataset_yaml(text: str) -> Callable[[World], list[object]]:
    return lambda w: ["validate", w.dataset_with(text)]


def _train_yaml(text: str, **extra: str) -> Callable[[World], list[object]]:
    return lambda w: w.train("--config", w.train_config(text, extra=extra))


def _symlinked_catalog(w: World) -> list[object]:
    folder = w.dataset_with("catalog: cat.yaml\n")
    os.symlink("/etc/passwd", folder / "cat.yaml")
    return ["validate", folder]


def _catalog_folder(w: World) -> list[object]:
    folder = w.dataset_with("catalog: sub\n")
    (folder / "sub").mkdir()
    return ["validate", folder]


def _damaged_parquet(w: World) -> list[object]:
    return w.plan(scores=w.write("damaged.parquet", b"PAR1" + b"\x00garbage" * 20 + b"PAR1"))


def _scores(frame: pd.DataFrame, name: str = "s.parquet") -> Callable[[World], Path]:
    def write(w: World) -> Path:
        path = w.tmp / name
        frame.to_parquet(path)
        return path

    return write


def _duplicate_scores(w: World) -> list[object]:
    frame = pd.read_parquet(w.scores)
    frame.loc[2, "credit_code"] = frame.loc[0, "credit_code"]
    return w.plan(scores=_scores(frame)(w))


def _scores_without_tier(w: World) -> list[object]:
    return w.plan(scores=_scores(pd.read_parquet(w.scores).drop(columns="tier"))(w))


def _roster(capacity: list[str]) -> Callable[[World], list[object]]:
    def argv(w: World) -> list[object]:
        frame = pd.read_csv(w.roster, dtype=str)
        frame["capacity"] = capacity
        path = w.tmp / "bad-roster.csv"
        frame.to_csv(path, index=False)
        return w.plan(roster=path)

    return argv


def _roster_without(column: str) -> Callable[[World], list[object]]:
    def argv(w: World) -> list[object]:
        path = w.tmp / "bad-roster.csv"
        pd.read_csv(w.roster, dtype=str).drop(columns=column).to_csv(path, index=False)
        return w.plan(roster=path)

    return argv


def _closed_port_url() -> str:
    """``http://127.0.0.1:PORT`` of a port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _roster_department(name: str) -> Callable[[World], list[object]]:
    return _roster_column("department", [None, name])


def _roster_column(column: str, values: list[str | None]) -> Callable[[World], list[object]]:
    """The roster with ``column`` set to ``values`` (None: keep the row's value)."""

    def argv(w: World) -> list[object]:
        frame = pd.read_csv(w.roster, dtype=str)
        for i, value in enumerate(values):
            if value is not None:
                frame.loc[i, column] = value
        path = w.tmp / "bad-roster.csv"
        frame.to_csv(path, index=False)
        return w.plan(roster=path)

    return argv


def _cutoffs(rows: list[tuple[int, str]]) -> Callable[[World], list[object]]:
    def argv(w: World) -> list[object]:
        codes = pd.read_parquet(w.scores)["credit_code"].tolist()
        path = w.tmp / "cutoffs.csv"
        pd.DataFrame({"credit_code": [codes[i] for i, _ in rows], "as_of": [d for _, d in rows]}).to_csv(path, index=False)
        return w.score("--cutoffs", path, as_of=None)

    return argv


CASES: list[Case] = [
    # item 5: alias bombs, and other YAML that costs without limit
    Case("alias-bomb-dataset-yaml", "5", _dataset_yaml(BOMB), 2, r"dataset\.yaml: invalid YAML .*alias bomb", 2),
    Case("alias-bomb-train-yaml", "5", _train_yaml(BOMB), 2, r"train\.yaml: invalid YAML .*alias bomb", 2),
    # a repeated key is a silent rewrite in plain YAML (the last one wins): refused, naming both lines
    Case("duplicate-key-train-yaml", "18", _train_yaml("refit: true\nrefit: false\n"), 2,
         r"train\.yaml: invalid YAML \(key 'refit' appears twice in one mapping \(lines 1 and 2\)"),
    Case("alias-bomb-feature-spec", "5", _train_yaml("features: features.yaml\n", **{"features.yaml": BOMB}),
         2, r"features\.yaml: invalid YAML .*alias bomb", 2),
    Case("recursive-anchor", "5", _dataset_yaml("catalog: &a [*a]\n"), 2, r"recursive anchor", 2),
    Case("deeply-nested-yaml", "5", _dataset_yaml("x: " + "[" * 5000 + "]" * 5000 + "\n"), 2,
         r"dataset\.yaml: invalid YAML .*nest", 2),
    Case("config-over-1mb", "5", lambda w: w.train("--config", w.write("big.yaml", "# pad\n" * 200_000)), 2,
         r"big\.yaml has 1,200,000 bytes, more than the 1,000,000"),
    Case("config-not-utf8", "18", lambda w: w.train("--config", w.write("gbk.yaml", "标签: 是\n".encode("gbk"))), 2,
         r"gbk\.yaml is not UTF-8 text .*save it as UTF-8"),
    Case("huge-value-in-message", "5", _train_yaml("label: [" + ", ".join(["'xxxxxxxxxx'"] * 50_000) + "]\n"),
         2, r"train\.yaml\.label: expected a mapping of keys, got \['xxxxxxxxxx', .*…$"),
    Case("huge-unknown-key", "5", _dataset_yaml("? " + "k" * 200_000 + "\n: 1\n"), 2, r"unknown key\(s\) \['kkkk.*…\]"),
    # item 6: paths in configs stay inside their folder and never print what they read
    Case("catalog-dotdot-passwd", "6", _dataset_yaml("catalog: ../../../../../../../../etc/passwd\n"), 2,
         r"dataset\.yaml: catalog: '\.\./.*/etc/passwd' leads outside", forbidden="root:"),
    Case("catalog-absolute", "6", _dataset_yaml("catalog: /etc/passwd\n"), 2,
         r"dataset\.yaml: catalog: absolute path '/etc/passwd' is refused", forbidden="root:"),
    Case("catalog-dev-zero", "6", _dataset_yaml("catalog: /dev/zero\n"), 2, r"absolute path '/dev/zero' is refused", 2),
    Case("catalog-symlink-out", "6", _symlinked_catalog, 2, r"'cat\.yaml' leads outside", forbidden="root:"),
    Case("catalog-folder", "7", _catalog_folder, 2, r"catalog: 'sub' is a folder; give a YAML file"),
    Case("train-features-dotdot", "6", _train_yaml("features: ../features.yaml\n"), 2,
         r"training config in .*: '\.\./features\.yaml' leads outside"),
    Case("train-model-absolute", "6", _train_yaml("model: /etc/passwd\n"), 2,
         r"training config in .*: absolute path '/etc/passwd' is refused", forbidden="root:"),
    Case("train-config-dev-zero", "6", lambda w: w.train("--config", "/dev/zero"), 2,
         r"argument --config: '/dev/zero' is not a regular file", 2),
    Case("train-config-folder", "6", lambda w: w.train("--config", w.tmp), 2, r"argument --config: .* is a folder"),
    Case("configs-not-a-folder", "6", lambda w: ["validate", w.data, "--configs", w.roster], 2,
         r"argument --configs: .* is not a folder"),
    # item 7: dates
    Case("as-of-unparsable", "7", lambda w: w.score(as_of="yesterday"), 2,
         r"argument --as-of: expected a date YYYY-MM-DD .*'yesterday'"),
    Case("as-of-timezone", "7", lambda w: w.score(as_of="2026-01-01T00:00+08:00"), 2,
         r"argument --as-of: expected a date YYYY-MM-DD \(no time, no time zone\)"),
    Case("as-of-1500", "7", lambda w: w.score(as_of="1500-01-01"), 2, r"1500-01-01 is outside 1900-01-01 … 2200-12-31"),
    Case("as-of-9999", "7", lambda w: w.score(as_of="9999-12-31"), 2, r"9999-12-31 is outside"),
    Case("as-of-not-a-day", "7", lambda w: w.score(as_of="2026-02-30"), 2, r"'2026-02-30' is not a calendar date"),
    Case("as-of-fullwidth-digits", "14", lambda w: w.score(as_of="２０２６-01-01"), 2, r"expected a date YYYY-MM-DD"),
    Case("start-unparsable", "7", lambda w: w.plan(start="2024/01/01"), 2, r"argument --start: expected a date"),
    Case("end-before-start", "7", lambda w: w.plan(start="2024-03-01", end="2024-02-01"), 2,
         r"--end 2024-02-01 is not after --start 2024-03-01"),
    Case("label-start-unparsable", "7", _train_yaml("label:\n  start: last spring\n"), 2,
         r"train\.yaml: label\.start: expected a date YYYY-MM-DD"),
    Case("split-test-start-1500", "7", _train_yaml("split:\n  test_start: 1500-01-01\n"), 2,
         r"train\.yaml: split\.test_start: 1500-01-01 is outside"),
    # item 7 / 17: counts
    Case("chunk-size-0", "7", lambda w: w.score("--chunk-size", "0"), 2, r"argument --chunk-size: must be ≥ 1; got 0"),
    Case("reasons-negative", "17", lambda w: w.score("--reasons", "-1"), 2, r"argument --reasons: must be ≥ 0; got -1"),
    Case("threads-0", "7", lambda w: w.score("--threads", "0"), 2, r"argument --threads: must be ≥ 1"),
    Case("seed-negative", "7", lambda w: ["sample", "--seed", "-1", "--out", w.tmp / "p"], 2,
         r"argument --seed: must be between 0 and 4,294,967,295; got -1"),
    Case("subjects-not-a-number", "7", lambda w: ["sample", "--seed", "1", "--subjects", "ten", "--out", w.tmp / "p"],
         2, r"argument --subjects: expected a whole number, got 'ten'"),
    # a table given by a flag (roster, scores, cut-offs) that does not fit is a usage error (issue 13.4)
    Case("roster-capacity-ten", "7", _roster(["ten", "12"]), 2,
         r"^error: --inspectors bad-roster\.csv row 1, column 'capacity': is not a whole number of visits ≥ 0 "
         r"\(got 'ten'\); fix: write the number of visits, e\.g\. 10$"),
    Case("roster-capacity-negative", "7", _roster(["3", "-2"]), 2, r"row 2, column 'capacity'.*\(got '-2'\)"),
    Case("roster-capacity-two-bad-rows", "13.4", _roster(["", "2.5"]), 2,
         r"--inspectors bad-roster\.csv row 1, column 'capacity': .*; fix: .* \(1 more row\(s\) like it\)$"),
    Case("roster-without-home-region", "13.4", _roster_without("home_region"), 2,
         r"--inspectors bad-roster\.csv: column 'home_region' is missing"),
    Case("roster-duplicate-inspector", "13.4", _roster_column("inspector_id", ["i9", "i9"]), 2,
         r"--inspectors bad-roster\.csv: inspectors table has 1 duplicate inspector_id\(s\), e\.g\. 'i9'"),
    Case("roster-unknown-department", "18", _roster_department("markt_regulation"), 2,
         r"--inspectors bad-roster\.csv row 2, column 'department': is not a department of the inspection policy "
         r"\['.*market_regulation.*'\] \(got 'markt_regulation'\)"),
    # item 7: input files
    Case("scores-missing", "7", lambda w: w.plan(scores=w.tmp / "nope.parquet"), 2,
         r"argument --scores: file '.*nope\.parquet' does not exist"),
    Case("scores-not-parquet", "7", lambda w: w.plan(scores=w.roster), 2, r"argument --scores: .* is not a Parquet file"),
    Case("scores-damaged-parquet", "7", _damaged_parquet, 2, r"--scores .*damaged\.parquet: cannot be read"),
    Case("scores-duplicate-subjects", "7", _duplicate_scores, 2,
         r"--scores .*s\.parquet row 3, column 'credit_code': subject appears more than once \(rows 1 and 3"),
    Case("scores-without-tier", "7", _scores_without_tier, 2,
         r"--scores s\.parquet: column 'tier' is missing \(its columns: \['credit_code', 'probability'\]\)"),
    Case("previous-missing", "7", lambda w: w.score("--previous", w.tmp / "last.parquet"), 2,
         r"argument --previous: file .* does not exist"),
    Case("previous-not-parquet", "7", lambda w: w.score("--previous", w.roster), 2,
         r"argument --previous: .* is not a Parquet file"),
    Case("cutoffs-bad-date", "11.4", _cutoffs([(0, "2024-01-01"), (1, "2024-13-01")]), 2,
         r"--cutoffs cutoffs\.csv row 2, column 'as_of': '2024-13-01' is not a calendar date"),
    Case("cutoffs-duplicate-rows", "11.4", _cutoffs([(0, "2024-01-01"), (0, "2024-01-01")]), 2,
         r"subject and as-of date appears more than once"),
    Case("cutoffs-and-as-of", "11.4", lambda w: w.score("--cutoffs", w.roster), 2, r"not allowed with argument"),
    Case("neither-as-of-nor-cutoffs", "11.4", lambda w: w.score(as_of=None), 2,
         r"one of the arguments --as-of --cutoffs is required"),
    # item 7: outputs, checked before the work
    Case("score-out-existing-folder", "7", lambda w: w.score(out=w.tmp), 2, r"--out .* is an existing folder"),
    Case("score-out-below-a-file", "7", lambda w: w.score(out=w.roster / "x.parquet"), 2,
         r"roster\.csv is a file, so nothing can be written below it"),
    Case("sample-out-existing-file", "7", lambda w: ["sample", "--seed", "1", "--out", w.roster], 2,
         r"--out .*roster\.csv' is an existing file; pass a folder"),
    Case("train-out-existing-file", "7", lambda w: ["train", "--data", w.data, "--out", w.roster], 2,
         r"--out .* is an existing file"),
    Case("plan-out-existing-file", "7", lambda w: w.plan()[:-2] + ["--out", w.roster], 2, r"is an existing file"),
    Case("init-out-existing-file", "10.7", lambda w: ["init", "--data", w.data, "--out", w.roster], 2,
         r"is an existing file"),
    Case("score-model-missing", "7", lambda w: w.score(), 2, r"model bundle .*no-model"),
    Case("score-registry-model-unknown", "7",
         lambda w: [*w.score("--tracking-uri", f"sqlite:///{w.tmp / 'mlflow.db'}")[:2], "models:/nothing@champion",
                    *w.score("--tracking-uri", f"sqlite:///{w.tmp / 'mlflow.db'}")[3:]], 2,
         r"cannot load model 'models:/nothing@champion'", 30),
    # item 7: tracking
    Case("tracking-uri-unknown-scheme", "7", lambda w: w.train()[:-2] + ["--tracking-uri", "ftp://host/store"], 2,
         r"--tracking-uri 'ftp://host/store': unknown scheme 'ftp'"),
    # item 17: the champion metric is checked before any data is read or model fit
    Case("tracking-metric-unknown", "17", _train_yaml("tracking:\n  metric: test_acuracy\n"), 2,
         r"train\.yaml: tracking\.metric 'test_acuracy' is not recorded by every model; use one of \[.*'test_auc'"),
    Case("tracking-metric-not-in-domain-runs", "17",
         _train_yaml("domains: [food]\ntracking:\n  metric: test_ks\n"), 2,
         r"tracking\.metric 'test_ks' is not recorded by every model; use one of \['test_auc'\] "
         r"\(the generic and domain runs share only these\)"),
    # item 18: messages
    Case("allowed-keys-without-base-dir", "18", _train_yaml("base_dir: /\n"), 2,
         r"unknown key\(s\) \['base_dir'\]"),
    Case("unknown-train-key", "18", _train_yaml("labels: {}\n"), 2,
         r"train\.yaml: unknown key\(s\) \['labels'\]; allowed keys are \[(?!.*base_dir)'domains', .*'label', .*\]$"),
    Case("catalog-error-names-its-file", "18",
         lambda w: ["validate", w.data, "--configs",
                    w.write("cfgs/catalog.yaml", "severities: [a, a]\ndomains: [market]\n").parent], 2,
         r"cfgs/catalog\.yaml: .*severities"),
    Case("model-n-estimators-negative", "7", _train_yaml("model: model.yaml\n", **{"model.yaml": "n_estimators: -1\n"}),
         2, r"model\.yaml.*n_estimators"),
    Case("dataset-id-scheme-foo", "7", _dataset_yaml("id_scheme: foo\n"), 2, r"dataset\.yaml\.id_scheme: 'foo' is not one of \['gb32100', 'any'\]"),
    # issue 13 item 4: what a new user typed
    Case("as-of-month-first", "13.4", lambda w: w.score(as_of="02/01/2026"), 2,
         r"argument --as-of: '02/01/2026' is ambiguous \(2 January or 1 February\?\): dates are ISO YYYY-MM-DD only"),
    Case("as-of-day-first-dashes", "13.4", lambda w: w.score(as_of="02-01-2026"), 2,
         r"argument --as-of: '02-01-2026' is ambiguous .*ISO YYYY-MM-DD only"),
    Case("start-day-first-dots", "13.4", lambda w: w.plan(start="01.02.2024"), 2, r"argument --start: .*ISO YYYY-MM-DD only"),
    Case("roster-file-missing", "13.4", lambda w: w.plan(roster=w.tmp / "inspectors.csv"), 2,
         r"argument --inspectors: file '.*inspectors\.csv' does not exist; check the path"),
    Case("roster-without-capacity", "13.4", _roster_without("capacity"), 2,
         r"^error: --inspectors bad-roster\.csv: column 'capacity' is missing \(its columns: \['inspector_id', "
         r"'department', 'home_region'\]\); fix: the roster needs .*capacity .*credit-risk roster writes an example$"),
    Case("score-out-unknown-extension", "13.4", lambda w: w.score(out=w.tmp / "s.xlsx"), 2,
         r"--out '.*s\.xlsx': unknown extension '\.xlsx'; name the file \.parquet or \.csv, or pass --format"),
    Case("score-out-csv-format-parquet", "13.4", lambda w: w.score("--format", "parquet", out=w.tmp / "s.csv"), 2,
         r"--out '.*s\.csv' ends in \.csv but --format is parquet; make them agree"),
    Case("measures-tasks-csv", "13.4",
         lambda w: ["measures", "--data", w.data, "--as-of", "2024-01-01", "--tasks", w.tmp / "tasks.csv"], 2,
         r"--tasks '.*tasks\.csv': this file is Parquet \(the next run reads and updates it\); name it \.parquet"),
    Case("repair-out-unknown-extension", "13.4",
         lambda w: ["repair", "--data", w.data, "--applications", w.roster, "--log", w.tmp / "log.parquet",
                    "--out", w.tmp / "decisions.xlsx"], 2, r"--out '.*decisions\.xlsx': unknown extension '\.xlsx'"),
    Case("train-tracking-server-down", "13.4", lambda w: w.train()[:-2] + ["--tracking-uri", _closed_port_url()], 2,
         r"tracking server http://127\.0\.0\.1:\d+ cannot be reached \(.*refused.*; waited at most 5 s\)"),
    Case("score-tracking-server-down", "13.4",
         lambda w: ["score", "--model", "models:/credit_risk_generic@champion", "--tracking-uri", _closed_port_url(),
                    "--data", w.data, "--as-of", "2024-01-01", "--out", w.tmp / "s.parquet"], 2,
         r"tracking server .* cannot be reached"),
]

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_cli_and_config_input(case: Case, world: World, run_cli, record):
    run = run_cli(case.argv(world), seconds=case.seconds + 5)
    record(case.id, run.outcome)
    assert run.outcome == "clean error", (run.code, run.err[-2000:], run.escaped)
    assert run.code == case.code, run.err
    lines = run.error_lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert len(lines[0]) <= 1000
    assert re.search(case.match, lines[0]), lines[0]
    assert run.seconds < case.seconds, f"took {run.seconds:.1f} s"
    if case.forbidden:
        assert case.forbidden not in run.err + run.out


def test_case_table_is_complete():
    """Each issue item of this area has at least one case; ids are unique."""
    assert len({c.id for c in CASES}) == len(CASES)
    assert {"5", "6", "7", "13.4", "17", "18"} <= {c.item for c in CASES}
    assert all(c.code in (1, 2, 3) for c in CASES)


def test_every_wrong_input_of_issue_13_is_a_usage_error():
    """Issue 13's list of what a new user typed: each has a case, and each is exit 2 (one line, run above)."""
    listed = {"as-of-not-a-day", "roster-file-missing", "roster-without-capacity", "as-of-month-first",
              "score-out-csv-format-parquet", "measures-tasks-csv", "train-tracking-server-down"}
    codes = {c.id: c.code for c in CASES}
    assert listed <= set(codes), listed - set(codes)
    assert {i: codes[i] for i in listed} == dict.fromkeys(listed, 2)
    # a table given by a flag is an argument of the command: never exit 1 (that is the dataset's contract)
    assert all(c.code == 2 for c in CASES if c.id.startswith(("roster-", "scores-", "cutoffs-")))


# ----------------------------------------------------------------------------- exit codes


def test_validate_exits_0_when_valid_and_1_for_invalid_data(world, run_cli):
    assert run_cli(["validate", world.data]).code == 0
    (world.data / "records.csv").write_text("record_id\nr1\n", encoding="utf-8")
    run = run_cli(["validate", world.data])
    assert run.code == 1 and "problem" in run.out and run.outcome == "clean error"


def test_a_crash_exits_3_with_one_line_and_debug_shows_the_traceback(world, run_cli, record, monkeypatch):
    import credit_risk.data

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(credit_risk.data, "load_dataset", crash)
    run = run_cli(["validate", world.data])
    record("validate-crash", run.outcome)
    assert (run.code, run.outcome) == (3, "clean error")
    assert re.fullmatch(r"error: internal error \(RuntimeError: boom\); this is a bug — rerun with --debug .*",
                        run.error_lines[0])
    debug = run_cli(["validate", world.data, "--debug"])
    assert debug.code == 3 and "Traceback (most recent call last)" in debug.err and "RuntimeError: boom" in debug.err
    assert run_cli(["--debug", "validate", world.data]).err.count("Traceback") == 1


def test_read_only_output_is_refused_before_the_work(world, run_cli, record, monkeypatch):
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    run = run_cli(["sample", "--seed", "1", "--subjects", "10", "--out", world.tmp / "new"])
    record("read-only-output", run.outcome)
    assert run.code == 2 and run.outcome == "clean error"
    assert re.search(r"--out .*new': cannot write in .* \(Read-only file system\); pass a writable location",
                     run.error_lines[0])


def test_disk_full_during_the_work_is_one_line_exit_3(world, run_cli, record, monkeypatch):
    import credit_risk.data.synthetic as synthetic

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(world.tmp / "p" / "records.parquet"))

    monkeypatch.setattr(synthetic, "write_province", full)
    run = run_cli(["sample", "--seed", "1", "--subjects", "10", "--out", world.tmp / "p", "--quiet"], seconds=60)
    record("disk-full", run.outcome)
    assert run.code == 3 and run.outcome == "clean error"
    assert re.search(r"cannot read or write .*records\.parquet: No space left on device", run.error_lines[0])


def test_tracking_uri_from_the_environment_is_checked(world, run_cli, record, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "gopher://old/store")
    run = run_cli(["train", "--data", world.data, "--out", world.tmp / "m"])
    record("tracking-uri-env-unknown-scheme", run.outcome)
    assert run.code == 2 and re.search(r"MLFLOW_TRACKING_URI 'gopher://old/store': unknown scheme", run.err)


def test_unknown_command_and_help(run_cli, record):
    run = run_cli(["frobnicate"])
    record("unknown-command", run.outcome)
    assert run.code == 2 and re.search(r"invalid choice: 'frobnicate'", run.error_lines[0])
    assert run_cli(["score", "--help"]).code == 0


# ----------------------------------------------------------------------------- the config reader


def test_show_bounds_values_and_prints_numpy_scalars_plainly():
    from credit_risk.config import show

    assert show(np.int64(3)) == "3"
    assert show(np.float64(0.5)) == "0.5"
    assert show([np.int64(1), np.int64(2)]) == "[1, 2]"
    assert len(show("x" * 10_000)) <= 80
    nested: list = ["lol"] * 9
    for _ in range(8):
        nested = [nested] * 9  # the shared structure of an alias bomb: 9**9 leaves
    assert len(show(nested)) <= 80


def test_from_mapping_messages_are_bounded_and_name_the_file():
    from dataclasses import dataclass as dc

    from credit_risk.config import from_mapping
    from credit_risk.exceptions import ConfigError

    @dc(frozen=True)
    class Small:
        count: int = 1
        name: str = "a"

    with pytest.raises(ConfigError, match=r"^cfg\.yaml\.count: expected an integer, got 2\.5$"):
        from_mapping(Small, {"count": np.float64(2.5)}, "cfg.yaml")
    with pytest.raises(ConfigError, match=r"^cfg\.yaml\.name: expected a string, got 7$"):
        from_mapping(Small, {"name": np.int64(7)}, "cfg.yaml")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \[1, 'zz'\]"):
        from_mapping(Small, {1: 0, "zz": 0}, "cfg.yaml")  # keys of mixed types still sort


def test_contained_path(tmp_path):
    from credit_risk.config import contained_path
    from credit_risk.exceptions import ConfigError

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    assert contained_path(tmp_path, "sub/../sub/a.yaml", "w") == (tmp_path / "sub" / "a.yaml").resolve()
    assert contained_path(tmp_path, "sub", "w", directory=True) == (tmp_path / "sub").resolve()
    for value, message in [("/etc/hosts", "absolute path"), ("../x.yaml", "leads outside"),
                           ("sub", "is a folder"), ("nope.yaml", "does not exist"), (3, "expected a relative path"),
                           ("", "expected a relative path")]:
        with pytest.raises(ConfigError, match=f"^w: .*{message}"):
            contained_path(tmp_path, value, "w")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ConfigError, match="not a regular file"):
        contained_path(tmp_path, "pipe", "w")


def test_load_yaml_reads_a_fifo_never(tmp_path):
    from credit_risk.config import load_yaml
    from credit_risk.exceptions import ConfigError

    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(ConfigError, match=r"pipe\.yaml is not a regular file"):
        load_yaml(tmp_path / "pipe.yaml")


def test_yaml_anchors_within_budget_still_work(tmp_path):
    from credit_risk.config import load_yaml

    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {x: 1, y: [1, 2]}\nother:\n  <<: *b\n  z: 3\nsame: *b\n", encoding="utf-8")
    assert load_yaml(path) == {"base": {"x": 1, "y": [1, 2]}, "other": {"x": 1, "y": [1, 2], "z": 3},
                               "same": {"x": 1, "y": [1, 2]}}


def test_find_config_and_packaged(tmp_path):
    from credit_risk.config import find_config, packaged
    from credit_risk.exceptions import ConfigError

    assert packaged("tiers.yaml").is_file() and packaged("domains").is_dir()
    with pytest.raises(ConfigError, match=r"no packaged config 'nope\.yaml'; available: \[.*'tiers\.yaml'"):
        packaged("nope.yaml")
    with pytest.raises(ConfigError, match="no packaged config"):
        packaged("../pyproject.toml")
    (tmp_path / "tiers.yaml").write_text("{}\n", encoding="utf-8")
    assert find_config("tiers.yaml", tmp_path) == tmp_path / "tiers.yaml"
    assert find_config("model.yaml", tmp_path) == packaged("model.yaml")
    assert find_config("model.yaml") == packaged("model.yaml")
    with pytest.raises(ConfigError, match="does not exist or is not a folder"):
        find_config("tiers.yaml", tmp_path / "missing")


def test_parse_date():
    import datetime as dt

    from credit_risk.config import parse_date
    from credit_risk.exceptions import ConfigError

    assert parse_date("2026-01-31", "x") == dt.date(2026, 1, 31)
    assert parse_date(dt.date(2020, 5, 1), "x") == dt.date(2020, 5, 1)  # YAML's own date type
    for bad in ["2026-1-5", "20260101", "2026/01/01", "2026-01-01 00:00", "٢٠٢٦-٠١-٠١", None, 20260101]:
        with pytest.raises(ConfigError, match=r"^x: expected a date YYYY-MM-DD"):
            parse_date(bad, "x")
    with pytest.raises(ConfigError, match="with a time"):
        parse_date(dt.datetime(2026, 1, 1, 8), "x")


def test_demo_never_ignores_a_config_silently(world, run_cli, record):
    configs = world.tmp / "configs"
    configs.mkdir()
    (configs / "catalog.yaml").write_text("extends: packaged\n", encoding="utf-8")
    run = run_cli(["demo", "--data", world.data, "--out", world.tmp / "demo", "--configs", configs])
    record("demo-configs-ignored", run.outcome)
    assert run.code == 2 and re.search(r"demo reads only train\.yaml .*not \['catalog\.yaml'\]", run.error_lines[0])


def test_alias_bomb_in_a_real_process_is_refused_within_seconds_and_400_mb(world, record):
    """The entry point as users run it, with the heap capped: a bomb that expanded would die, not pass."""
    import resource
    import subprocess
    import sys
    import time

    def cap_heap():
        resource.setrlimit(resource.RLIMIT_DATA, (400 * 2**20, 400 * 2**20))

    bomb = world.write("bomb.yaml", BOMB)
    for argv in (["validate", world.dataset_with(BOMB)], ["train", "--data", world.data, "--config", bomb]):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "credit_risk.cli", *map(str, argv)], capture_output=True,
                              text=True, preexec_fn=cap_heap, timeout=60, cwd=world.tmp)
        seconds = time.perf_counter() - start
        record(f"alias-bomb-subprocess-{argv[0]}", "clean error" if proc.returncode in (1, 2, 3) and
               "Traceback" not in proc.stderr else "traceback")
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert proc.stderr.count("\n") == 1 and "alias bomb" in proc.stderr
        assert seconds < 20, f"{argv[0]} took {seconds:.1f} s"


# ----------------------------------------------------------------------------- every command, wrong inputs


def _typed_arguments() -> list[tuple[str, str, str, list[str]]]:
    """(command, kind, flag, wrong values) for every typed argument of every command, read from the parser."""
    import argparse

    from credit_risk.cli import _Types, build_parser

    kinds = {
        _Types.date: ("date", ["2026-02-30", "02/01/2026", "2026-1-1x", ""]),
        _Types.folder: ("folder", ["{missing}", "{file}"]),
        _Types.file: ("file", ["{missing}", "{folder}"]),
        _Types.parquet: ("parquet", ["{missing}", "{file}"]),
        _Types.table: ("table", ["{missing}", "{folder}", "{text}"]),
        _Types.seed: ("count", ["ten", "-1", "1e3", "4294967296"]),
        _Types.positive: ("count", ["0", "ten", "2.5"]),
        _Types.nonneg: ("count", ["-1", "x"]),
        _Types.subjects: ("count", ["9", "many"]),
    }
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    found = []
    for command, parser in sub.choices.items():
        for action in parser._actions:
            flag = action.option_strings[-1] if action.option_strings else ""
            if action.type in kinds:
                kind, values = kinds[action.type]
                found.append((command, kind, flag, values))
            elif action.choices and action.option_strings and action.nargs is None:
                found.append((command, "choice", flag, ["no-such-choice"]))
    return found


TYPED = _typed_arguments()


def test_every_command_has_its_typed_arguments_swept():
    from credit_risk.cli import build_parser

    commands = {c for c, *_ in TYPED}
    parser = build_parser()
    (sub,) = [a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)]
    # every command but sample/init/... with typed arguments is covered; all commands get the generic wrong inputs
    assert {"validate", "train", "score", "plan", "measures", "repair", "monitor", "warn", "feedback"} <= commands
    assert set(sub.choices) >= commands


@pytest.mark.parametrize(("command", "kind", "flag", "values"), TYPED,
                         ids=[f"{c}{f or '-positional'}" for c, _, f, _ in TYPED])
def test_every_command_refuses_wrong_values_without_a_traceback(command, kind, flag, values, tmp_path, run_cli, record):
    """Each typed argument of each command, given wrong values: one ``error:`` line, exit 2, never a traceback."""
    text = tmp_path / "plain.txt"
    text.write_text("not a table\n", encoding="utf-8")
    fill = {"{missing}": str(tmp_path / "does-not-exist"), "{file}": str(text), "{folder}": str(tmp_path),
            "{text}": str(text)}
    for value in values:
        value = fill.get(value, value)
        argv = [command, *([flag] if flag else []), value]
        run = run_cli(argv, seconds=10)
        record(f"sweep {command} {flag or kind} {value[:20]!r}", run.outcome)
        assert run.outcome == "clean error", (argv, run.code, run.err[-1500:], run.escaped)
        assert run.code == 2, (argv, run.err)
        assert len(run.error_lines) == 1 and run.error_lines[0].startswith("error: "), (argv, run.error_lines)
        assert "Traceback" not in run.err + run.out


def test_every_command_refuses_unknown_flags_and_missing_arguments(run_cli, record):
    import argparse

    from credit_risk.cli import build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    for command, parser in sub.choices.items():
        runs = [[command, "--no-such-flag"], [command, "--debug-not-a-flag=1"]]
        if any(a.required for a in parser._actions):
            runs.append([command])
        for argv in runs:
            run = run_cli(argv)
            record(f"sweep {' '.join(argv)}", run.outcome)
            assert (run.code, run.outcome) == (2, "clean error"), (argv, run.err[-1500:], run.escaped)
            assert len(run.error_lines) == 1 and "Traceback" not in run.err, (argv, run.err)
