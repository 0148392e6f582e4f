"""The model bundle: fitted models with everything needed to use them safely later.

A bundle is two files::

    model.joblib        the pickled :class:`ModelBundle` (joblib)
    model.joblib.json   the manifest: sha256 of model.joblib, library version, created_at,
                        schema fingerprint of the training data, feature names and infos, config

:func:`load_bundle` reads the manifest first and refuses (``ModelError``) a bundle whose file
hash does not match, before anything is unpickled — **only load bundles from a trusted
store**: unpickling runs code. :meth:`ModelBundle.check_features` refuses a feature matrix
whose features differ from the training features. This module is, with ``tracking.py``, the
only place where models are pickled.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from credit_risk.atomic import atomic_path, sha256_file, write_text
from credit_risk.exceptions import ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix

__all__ = ["BUNDLE_FORMAT", "ModelBundle", "load_bundle", "manifest_path", "save_bundle"]

logger = logging.getLogger(__name__)

BUNDLE_FORMAT = 1


def _library_version() -> str:
    from credit_risk import __version__

    return __version__


@dataclass(frozen=True, eq=False)
class ModelBundle:
    """Fitted model(s) plus feature spec, config, versions and the training schema.

    Attributes
    ----------
    model : object
        A fitted estimator or a :class:`~credit_risk.models.training.TrainedModels`.
    feature_info : tuple of FeatureInfo
        The features the model was trained on, in order.
    config : dict
        The configuration used (plain, JSON-serialisable values).
    schema_fingerprint : str
        ``CreditDataset.schema_fingerprint()`` of the training data.
    created_at : str
        ISO timestamp given by the caller (the library never reads the clock).
    library_version : str
    """

    model: Any
    feature_info: tuple[FeatureInfo, ...]
    config: dict = field(default_factory=dict)
    schema_fingerprint: str = ""
    created_at: str = ""
    library_version: str = field(default_factory=_library_version)

    @property
    def feature_names(self) -> list[str]:
        return [i.name for i in self.feature_info]

    def check_features(self, features: FeatureMatrix | pd.DataFrame | list[str]) -> None:
        """Raise :class:`ModelError` listing missing and unexpected features (order is not checked)."""
        if isinstance(features, FeatureMatrix):
            names = features.feature_names
        elif isinstance(features, pd.DataFrame):
            names = [str(c) for c in features.columns]
        else:
            names = list(features)
        expected = self.feature_names
        missing = [n for n in expected if n not in set(names)]
        extra = [n for n in names if n not in set(expected)]
        if missing or extra:
            raise ModelError(
                f"features do not match the model bundle (trained with {len(expected)} features): "
                f"missing {missing[:20]}{'…' if len(missing) > 20 else ''}, unexpected "
                f"{extra[:20]}{'…' if len(extra) > 20 else ''}; build the features with the "
                "feature spec stored in the bundle, or retrain"
            )

    def check_schema(self, schema_fingerprint: str) -> None:
        """Raise :class:`ModelError` if the data's schema differs from the training data's."""
        if self.schema_fingerprint and schema_fingerprint != self.schema_fingerprint:
            raise ModelError(
                f"data schema fingerprint {schema_fingerprint[:12]}… differs from the model's "
                f"training schema {self.schema_fingerprint[:12]}… (tables' columns or catalogue "
                "changed); retrain the model on data with this schema"
            )


def manifest_path(path: str | Path) -> Path:
    """The sidecar manifest of a bundle file: ``<path>.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def save_bundle(path: str | Path, bundle: ModelBundle) -> Path:
    """Write the bundle (joblib) and its manifest atomically; return the manifest path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        joblib.dump(bundle, tmp, compress=3)
    manifest = {
        "format": BUNDLE_FORMAT,
        "file": path.name,
        "sha256": sha256_file(path),
        "library_version": bundle.library_version,
        "created_at": bundle.created_at,
        "schema_fingerprint": bundle.schema_fingerprint,
        "features": [asdict(i) for i in bundle.feature_info],
        "config": bundle.config,
    }
    target = manifest_path(path)
    write_text(target, json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    return target


def load_bundle(path: str | Path, *, schema_fingerprint: str | None = None) -> ModelBundle:
    """Verify the manifest hash, then load the bundle; optionally check the data schema.

    Raises
    ------
    ModelError
        The file or its manifest is missing or unreadable, the sha256 differs (tampered or
        damaged), the features stored inside disagree with the manifest, or the schema
        fingerprint differs from ``schema_fingerprint``.
    """
    path = Path(path)
    mpath = manifest_path(path)
    if not path.exists():
        raise ModelError(f"model bundle {path} does not exist; check the path")
    if not mpath.exists():
        raise ModelError(f"model bundle {path} has no manifest {mpath.name}; it cannot be verified, refusing to load")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        expected = manifest["sha256"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ModelError(f"manifest {mpath} is unreadable ({exc}); restore it from the model store") from None
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"model bundle {path} fails its integrity check: sha256 expected {expected} (manifest), "
            f"actual {actual}; the file was modified or damaged — restore it from the model store"
        )
    bundle = joblib.load(path)
    if not isinstance(bundle, ModelBundle):
        raise ModelError(f"{path} holds a {type(bundle).__name__}, not a ModelBundle")
    names = [f["name"] for f in manifest.get("features", [])]
    if names != bundle.feature_names:
        raise ModelError(f"model bundle {path}: features in the manifest and in the bundle disagree; refusing to load")
    if bundle.library_version != _library_version():
        logger.warning(
            "model bundle %s was saved with credit_risk %s, running %s",
            path, bundle.library_version, _library_version(),
        )
    if schema_fingerprint is not None:
        bundle.check_schema(schema_fingerprint)
    return bundle
