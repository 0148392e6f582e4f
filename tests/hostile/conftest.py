"""Shared tools of the hostile-input tests: run the CLI in-process, classify how it ended, bound time.

Every hostile case ends in one of these outcomes (``Outcome``):

- ``clean error``  a non-zero exit code and exactly one line on stderr starting ``error:``
                   (``validate`` prints its problem list on stdout), no traceback;
- ``warning``      accepted, with a logged warning naming the problem;
- ``accepted``     exit 0 with no warning (for a bad input: a silent acceptance);
- ``traceback``    an exception escaped, or a traceback was printed.

``pytest tests/hostile -q`` ends with one summary line per outcome, so the counts the issue asks
for (bad inputs tried / clean errors / tracebacks / silent rewrites) can be quoted from the run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

OUTCOMES = ("clean error", "warning", "accepted", "traceback")
_TALLY: Counter = Counter()
_CASES: list[tuple[str, str]] = []


@dataclass(frozen=True)
class CliRun:
    """How one in-process ``credit-risk`` run ended."""

    code: int | None
    out: str
    err: str
    seconds: float
    escaped: BaseException | None = None

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    @property
    def outcome(self) -> str:
        if self.escaped is not None or "Traceback (most recent call last)" in self.err + self.out:
            return "traceback"
        if self.code == 0:
            return "warning" if "WARNING" in self.err else "accepted"
        return "clean error"


@pytest.fixture
def record():
    """``record(case, outcome)`` counts one hostile case's outcome for the end-of-run summary."""

    def add(case: str, outcome: str) -> None:
        assert outcome in OUTCOMES, outcome
        _TALLY[outcome] += 1
        _CASES.append((case, outcome))

    return add


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (instead of hanging or eating memory for minutes) when the block runs past ``seconds``."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - xdist threads
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def run_cli(capsys):
    """``run_cli(argv, seconds=10)`` runs ``credit_risk.cli.main`` in-process and returns a :class:`CliRun`."""
    from credit_risk.cli import main

    def run(argv, seconds: float = 10.0) -> CliRun:
        capsys.readouterr()
        start = time.perf_counter()
        escaped = None
        code = None
        try:
            with time_limit(seconds):
                code = main([str(a) for a in argv])
        except TimeoutError:
            raise
        except BaseException as exc:
            escaped = exc
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err, time.perf_counter() - start, escaped)

    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _CASES:
        return
    tried = len(_CASES)
    parts = ", ".join(f"{_TALLY[o]} {o}" for o in OUTCOMES)
    terminalreporter.write_line(f"hostile inputs: {tried} tried — {parts}")
