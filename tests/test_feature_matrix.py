"""FeatureMatrix.rows: boolean masks and the integer positions scikit-learn's splitters yield."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from credit_risk.exceptions import ConfigError
from credit_risk.models.synthetic import toy_feature_matrix

FM = toy_feature_matrix(50, seed=0)[0]


def test_integer_positions_from_kfold_select_the_same_rows_as_a_mask():
    for train, test in KFold(5, shuffle=True, random_state=0).split(FM.X):
        mask = np.zeros(len(FM.X), dtype=bool)
        mask[test] = True
        by_pos = FM.rows(np.sort(test))
        by_mask = FM.rows(mask)
        pd.testing.assert_frame_equal(by_pos.X, by_mask.X)
        pd.testing.assert_frame_equal(by_pos.keys, by_mask.keys)
        assert len(FM.rows(train).X) == len(train)


def test_positions_keep_their_order_and_repeats():
    sub = FM.rows([3, 1, 1, -1])
    expected = FM.keys["credit_code"].iloc[[3, 1, 1, 49]].tolist()
    assert sub.keys["credit_code"].tolist() == expected
    assert list(sub.X.index) == [0, 1, 2, 3]


def test_pandas_boolean_masks_work():
    mask = FM.X.iloc[:, 0] > FM.X.iloc[:, 0].median()
    assert len(FM.rows(mask).X) == int(mask.sum())
    assert len(FM.rows(mask.astype("boolean")).X) == int(mask.sum())
    assert len(FM.rows(np.array([], dtype=int)).X) == 0


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (np.ones(3, dtype=bool), r"one entry per row \(50\); got 3"),
        ([0, 50], r"position 50 is out of range for 50 rows"),
        ([-51], r"position -51 is out of range"),
        (np.array(["a", "b"]), r"boolean mask or integer row positions; got an array of dtype <U1"),
        ([0.5, 1.0], r"got an array of dtype float64"),
        (np.zeros((2, 2), dtype=int), r"must be 1-d; got shape \(2, 2\)"),
        (pd.Series([True, None] * 25, dtype="boolean"), r"mask has missing values"),
    ],
)
def test_bad_selections_raise(selection, message):
    with pytest.raises(ConfigError, match=message):
        FM.rows(selection)
