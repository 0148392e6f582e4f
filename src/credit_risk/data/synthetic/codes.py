"""Vectorised generation of unique GB 32100 credit codes.

:func:`credit_risk.data.credit_code.complete` handles one code; generating millions needs
the same arithmetic over a matrix of character values, done here.
"""

from __future__ import annotations

import numpy as np

from credit_risk.data.credit_code import ALPHABET, WEIGHTS

__all__ = ["complete_many", "unique_codes"]

_ALPHA = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_LUT = np.full(256, 255, dtype=np.uint8)
_LUT[_ALPHA] = np.arange(len(ALPHABET), dtype=np.uint8)
_W17 = np.array(WEIGHTS, dtype=np.int64)
# GB 11714 (organisation code) check: weights of the first 8 characters, modulus 11.
_W11714 = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_NEW_PREFIX = np.frombuffer(b"MA", dtype=np.uint8)
_X = ALPHABET.index("X")


def complete_many(bodies: np.ndarray) -> np.ndarray:
    """Append the GB 32100 check character to many 17-character bodies.

    Parameters
    ----------
    bodies : ndarray of str or bytes, shape (n,)
        17-character bodies of the GB 32100 alphabet.

    Returns
    -------
    ndarray of str, shape (n,)
        The 18-character codes.

    Examples
    --------
    >>> complete_many(np.array(["91110000600037341"])).tolist()
    ['91110000600037341L']
    """
    raw = np.asarray(bodies).astype("S17")
    mat = np.frombuffer(raw.tobytes(), dtype=np.uint8).reshape(len(raw), 17)
    values = _LUT[mat]
    if len(values) and (values == 255).any():
        bad = int(np.flatnonzero((values == 255).any(axis=1))[0])
        raise ValueError(
            f"bodies[{bad}] = {raw[bad]!r} is not 17 characters of {ALPHABET!r}; fix the body"
        )
    return _codes_from_values(values)


def _codes_from_values(values: np.ndarray) -> np.ndarray:
    """(n, 17) alphabet values → (n,) array of 18-character ``str`` codes."""
    check = (31 - (values.astype(np.int64) @ _W17) % 31) % 31
    chars = np.empty((len(values), 18), dtype=np.uint8)
    chars[:, :17] = _ALPHA[values]
    chars[:, 17] = _ALPHA[check]
    return chars.view("S18").ravel().astype("U18")


def unique_codes(
    prefixes: np.ndarray, new_style: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw credit codes with a globally unique 9-character body.

    Parameters
    ----------
    prefixes : ndarray of str, shape (n,)
        The first 8 characters: authority, entity type and the GB/T 2260 region code.
    new_style : ndarray of bool, shape (n,)
        True for subjects registered since the 2015 reform, whose body is ``MA`` + 7 characters
        of the alphabet; others get an old organisation code (8 digits + GB 11714 check).
    rng : numpy.random.Generator
        Source of randomness; the result is a function of its state only.

    Returns
    -------
    ndarray of str, shape (n,)
        Valid 18-character codes, unique bodies.
    """
    n = len(prefixes)
    pre = np.frombuffer(np.asarray(prefixes).astype("S8").tobytes(), dtype=np.uint8).reshape(n, 8)
    body = np.empty((n, 9), dtype=np.uint8)  # alphabet values
    todo = np.arange(n)
    while len(todo):
        _draw_bodies(body, todo, new_style[todo], rng)
        key = (body.astype(np.int64) * (31 ** np.arange(8, -1, -1, dtype=np.int64))).sum(axis=1)
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        todo = np.flatnonzero(dup)  # later duplicates are redrawn, deterministically
    values = np.concatenate([_LUT[pre], body], axis=1)
    return _codes_from_values(values)


def _draw_bodies(body: np.ndarray, rows: np.ndarray, new: np.ndarray, rng: np.random.Generator) -> None:
    m = len(rows)
    digits = rng.integers(0, 10, size=(m, 8), dtype=np.int64)
    check = (11 - (digits @ _W11714) % 11) % 11  # 10 → "X", 11 → 0
    old = np.concatenate([digits, np.where(check == 10, _X, check)[:, None]], axis=1)
    fresh = np.empty((m, 9), dtype=np.int64)
    fresh[:, :2] = _LUT[_NEW_PREFIX]
    fresh[:, 2:] = rng.integers(0, 31, size=(m, 7), dtype=np.int64)
    body[rows] = np.where(new[:, None], fresh, old).astype(np.uint8)
