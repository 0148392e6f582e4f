"""The model bundle: fitted models with everything needed to use them safely later.

A bundle is two files::

    model.joblib        the pickled :class:`ModelBundle` (joblib)
    model.joblib.json   the manifest: sha256 of model.joblib, library version, created_at,
                        schema fingerprint of the training data, feature names and infos, config

Unpickling runs code, and whoever can rewrite ``model.joblib`` can rewrite its manifest too,
so the manifest proves nothing about where the file came from. :func:`load_bundle` therefore
unpickles only a file whose sha256 equals a hash **pinned by the caller** from a record the
attacker cannot rewrite together with the file: the registry's ``bundle_sha256`` tag (what
``credit-risk score --model models:/…`` uses), or the hash printed by ``credit-risk train``
and passed as ``credit-risk score --sha256 HEX`` for a bundle loaded by path. Without a pin
it refuses, before reading a byte of the pickle. The manifest is kept as a damage check (it
must agree with the pin) and as metadata.

:meth:`ModelBundle.check_features` refuses a feature matrix whose features differ from the
training features. This module is, with :mod:`credit_risk.store.tracking`, the only place where models are
pickled.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from credit_risk.atomic import atomic_path, sha256_file, write_text
from credit_risk.exceptions import ModelError
from credit_risk.features.matrix import FeatureInfo, FeatureMatrix

__all__ = ["BUNDLE_FILE", "BUNDLE_FORMAT", "ModelBundle", "check_sha256", "load_bundle", "manifest_path", "new_run_folder", "save_bundle"]

logger = logging.getLogger(__name__)

BUNDLE_FORMAT = 1
#: File name of a bundle (in a run folder, and inside the folder logged as the pyfunc model's data).
BUNDLE_FILE = "model.joblib"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _library_version() -> str:
    from credit_risk import __version__

    return __version__


@dataclass(frozen=True, eq=False)
class ModelBundle:
    """Fitted model(s) plus feature spec, config, versions and the training schema.

    Attributes
    ----------
    model : object
        A fitted estimator or a :class:`~credit_risk.pipeline.fit.TrainedModels`.
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
    """The sidecar manifest of a bundle file: ``<path>.json`` (``model.joblib.json``)."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def new_run_folder(out_dir: str | Path, created_at: str = "") -> Path:
    """A fresh folder ``OUT/run-<created_at>-<random>/`` for one training run's bundles.

    Two runs sharing ``out_dir`` (``credit-risk train --out models`` twice at once) never write
    into each other's folder, so neither can register the other's bundle.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> a, b = new_run_folder(root, "2026-11-30T12:00:00+00:00"), new_run_folder(root, "2026-11-30T12:00:00+00:00")
    >>> a != b and a.name.startswith("run-20261130T120000")
    True
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", created_at.split("+")[0])[:15]
    return Path(tempfile.mkdtemp(prefix=f"run-{stamp}-" if stamp else "run-", dir=out))


def save_bundle(path: str | Path, bundle: ModelBundle) -> Path:
    """Write the bundle (joblib) and its manifest atomically; return the manifest path.

    The manifest's ``sha256`` is the hash to pin when the bundle is loaded by path.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        joblib.dump(bundle, tmp, compress=3)
        digest = sha256_file(tmp)
    manifest = {
        "format": BUNDLE_FORMAT,
        "file": path.name,
        "sha256": digest,
        "library_version": bundle.library_version,
        "created_at": bundle.created_at,
        "schema_fingerprint": bundle.schema_fingerprint,
        "features": [asdict(i) for i in bundle.feature_info],
        "config": bundle.config,
    }
    target = manifest_path(path)
    write_text(target, json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    return target


def check_sha256(value: object, where: str) -> str:
    """A pinned sha256 as 64 lower-case hex digits, or :class:`ModelError`."""
    text = str(value).strip().lower() if value is not None else ""
    if not _SHA256.fullmatch(text):
        shown = text[:80] + ("…" if len(text) > 80 else "")
        raise ModelError(f"{where}: {shown!r} is not a sha256 (64 hex digits); copy the bundle_sha256 printed by credit-risk train")
    return text


def load_bundle(
    path: str | Path, *, sha256: str | None = None, schema_fingerprint: str | None = None
) -> ModelBundle:
    """Verify the file against a pinned sha256, then unpickle it; optionally check the schema.

    Parameters
    ----------
    path : path
        The bundle file (``model.joblib``).
    sha256 : str
        The hash the file must have, from a trusted record (the registry's ``bundle_sha256``
        tag, or what ``credit-risk train`` printed). Required: the manifest beside the file
        cannot vouch for it.
    schema_fingerprint : str, optional
        Refuse the bundle if the data's schema differs from the training data's.

    Raises
    ------
    ModelError
        No pin was given or it is malformed, the file or its manifest is missing or
        unreadable, the file's sha256 differs from the pin (tampered, damaged or another
        bundle), the manifest describes another file, the unpickled object is not a
        :class:`ModelBundle` or disagrees with its manifest, or the schema differs.
    """
    path = Path(path)
    mpath = manifest_path(path)
    if sha256 is None:
        raise ModelError(
            f"model bundle {path}: loading a bundle by path needs its sha256 pinned, because unpickling "
            "runs code and the manifest beside the file can be rewritten along with it; pass --sha256 HEX "
            "(printed by credit-risk train, or the registry's bundle_sha256 tag) or load it from the "
            "registry (models:/credit_risk_generic@champion)"
        )
    pin = check_sha256(sha256, f"model bundle {path}: the pinned sha256")
    if not path.is_file():
        raise ModelError(f"model bundle {path} does not exist; check the path")
    actual = sha256_file(path)
    if actual != pin:
        raise ModelError(
            f"model bundle {path} fails its integrity check: sha256 expected {pin} (pinned), "
            f"actual {actual}; the file was modified, damaged or is another bundle — refusing to load it; "
            "restore it from the model store"
        )
    if not mpath.exists():
        raise ModelError(f"model bundle {path} has no manifest {mpath.name}; it cannot be verified, refusing to load")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        expected = manifest["sha256"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ModelError(f"manifest {mpath} is unreadable ({exc}); restore it from the model store") from None
    if expected != pin:
        raise ModelError(
            f"manifest {mpath} describes another file (sha256 {str(expected)[:12]}…, pinned {pin[:12]}…); "
            "restore the manifest from the model store"
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
