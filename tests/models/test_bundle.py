from __future__ import annotations

import json

import numpy as np
import pytest

from credit_risk.exceptions import ModelError
from credit_risk.models import GenericRiskModel
from credit_risk.models.bundle import ModelBundle, load_bundle, manifest_path, save_bundle
from credit_risk.models.synthetic import toy_feature_matrix


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    fm, y, _ = toy_feature_matrix(1000, seed=0)
    model = GenericRiskModel(n_estimators=20).fit(fm, y)
    bundle = ModelBundle(model=model, feature_info=fm.info, config={"tiers": {"method": "shares"}},
                         schema_fingerprint="abc123", created_at="2026-11-22T04:00:00Z")
    path = tmp_path_factory.mktemp("bundle") / "model.joblib"
    save_bundle(path, bundle)
    return path, fm, model


def test_round_trip(saved):
    path, fm, model = saved
    bundle = load_bundle(path, schema_fingerprint="abc123")
    np.testing.assert_allclose(bundle.model.predict_proba(fm), model.predict_proba(fm))
    bundle.check_features(fm)
    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    assert manifest["features"][1]["name"] == "serious_listing_active"
    assert manifest["created_at"] == "2026-11-22T04:00:00Z" and len(manifest["sha256"]) == 64


def test_tampered_bundle_is_refused(saved, tmp_path):
    path, _, _ = saved
    bad = tmp_path / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    manifest_path(bad).write_bytes(manifest_path(path).read_bytes())
    with pytest.raises(ModelError, match=r"model.joblib fails its integrity check: sha256 expected [0-9a-f]{64} \(manifest\), actual [0-9a-f]{64}"):
        load_bundle(bad)


def test_missing_manifest_and_file(saved, tmp_path):
    path, _, _ = saved
    lone = tmp_path / "lone.joblib"
    lone.write_bytes(path.read_bytes())
    with pytest.raises(ModelError, match="has no manifest lone.joblib.json"):
        load_bundle(lone)
    with pytest.raises(ModelError, match="does not exist"):
        load_bundle(tmp_path / "nothing.joblib")


def test_feature_mismatch(saved):
    path, fm, _ = saved
    bundle = load_bundle(path)
    with pytest.raises(ModelError, match=r"missing \['noise'\], unexpected \['new_feature'\]"):
        bundle.check_features(fm.X.drop(columns="noise").assign(new_feature=1))


def test_schema_mismatch(saved):
    path, _, _ = saved
    with pytest.raises(ModelError, match="differs from the model's training schema"):
        load_bundle(path, schema_fingerprint="other")
