from __future__ import annotations

import json

import numpy as np
import pytest

from credit_risk.atomic import sha256_file
from credit_risk.exceptions import ModelError
from credit_risk.models import GenericRiskModel
from credit_risk.models.bundle import (
    ModelBundle,
    load_bundle,
    manifest_path,
    new_run_folder,
    save_bundle,
)
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


def _pin(path):
    return json.loads(manifest_path(path).read_text(encoding="utf-8"))["sha256"]


def test_round_trip(saved):
    path, fm, model = saved
    assert _pin(path) == sha256_file(path)  # the manifest records the hash of the bytes written
    bundle = load_bundle(path, sha256=_pin(path), schema_fingerprint="abc123")
    np.testing.assert_allclose(bundle.model.predict_proba(fm), model.predict_proba(fm))
    bundle.check_features(fm)
    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    assert manifest["features"][1]["name"] == "serious_listing_active"
    assert manifest["created_at"] == "2026-11-22T04:00:00Z" and len(manifest["sha256"]) == 64


def test_loading_by_path_needs_a_pin(saved):
    path, _, _ = saved
    with pytest.raises(ModelError, match=r"loading a bundle by path needs its sha256 pinned.*pass --sha256 HEX"):
        load_bundle(path)
    with pytest.raises(ModelError, match=r"the pinned sha256: 'abc' is not a sha256 \(64 hex digits\)"):
        load_bundle(path, sha256="abc")


def test_tampered_bundle_is_refused(saved, tmp_path):
    path, _, _ = saved
    bad = tmp_path / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    manifest_path(bad).write_bytes(manifest_path(path).read_bytes())
    with pytest.raises(ModelError, match=r"model.joblib fails its integrity check: sha256 expected [0-9a-f]{64} \(pinned\), actual [0-9a-f]{64}"):
        load_bundle(bad, sha256=_pin(path))


def test_rewritten_manifest_does_not_vouch_for_a_file(saved, tmp_path):
    # Whoever replaces the file can rewrite its manifest; the pin, not the manifest, decides.
    path, _, _ = saved
    bad = tmp_path / "model.joblib"
    bad.write_bytes(path.read_bytes() + b"tampered")
    meta = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    meta["sha256"] = sha256_file(bad)
    manifest_path(bad).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match=r"fails its integrity check: sha256 expected [0-9a-f]{64} \(pinned\)"):
        load_bundle(bad, sha256=_pin(path))
    # A manifest that disagrees with a correct pin is refused too.
    good = tmp_path / "good" / "model.joblib"
    good.parent.mkdir()
    good.write_bytes(path.read_bytes())
    manifest_path(good).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="describes another file"):
        load_bundle(good, sha256=_pin(path))


def test_missing_manifest_and_file(saved, tmp_path):
    path, _, _ = saved
    lone = tmp_path / "lone.joblib"
    lone.write_bytes(path.read_bytes())
    with pytest.raises(ModelError, match="has no manifest lone.joblib.json"):
        load_bundle(lone, sha256=_pin(path))
    with pytest.raises(ModelError, match="does not exist"):
        load_bundle(tmp_path / "nothing.joblib", sha256=_pin(path))


def test_run_folders_are_fresh_per_run(tmp_path):
    folders = {new_run_folder(tmp_path, "2026-11-30T12:00:00+00:00") for _ in range(5)}
    assert len(folders) == 5 and all(f.parent == tmp_path and f.is_dir() for f in folders)


def test_feature_mismatch(saved):
    path, fm, _ = saved
    bundle = load_bundle(path, sha256=_pin(path))
    with pytest.raises(ModelError, match=r"missing \['noise'\], unexpected \['new_feature'\]"):
        bundle.check_features(fm.X.drop(columns="noise").assign(new_feature=1))


def test_schema_mismatch(saved):
    path, _, _ = saved
    with pytest.raises(ModelError, match="differs from the model's training schema"):
        load_bundle(path, sha256=_pin(path), schema_fingerprint="other")
