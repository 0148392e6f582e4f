"""The model store: bundles on disk and the MLflow tracking server and registry.

``bundle``    :class:`ModelBundle`, :func:`save_bundle`, :func:`load_bundle` (joblib + sha256
              manifest); owns the file names (``model.joblib``, ``model.joblib.json``)
``tracking``  :func:`log_training`, :func:`log_model_run`, :func:`download_bundle`,
              :func:`load_verified_pyfunc`, :func:`evaluation_metrics`; the only module that
              imports :mod:`mlflow`
``pyfunc``    what a registered model does under ``mlflow.pyfunc``: the feature table in,
              probability, tiers and top reasons out
``card``      the run description and the model card (Markdown)

Only this package pickles and unpickles fitted models.
"""

from credit_risk.store.bundle import (
    BUNDLE_FILE,
    ModelBundle,
    load_bundle,
    manifest_path,
    new_run_folder,
    save_bundle,
)

__all__ = ["BUNDLE_FILE", "ModelBundle", "load_bundle", "manifest_path", "new_run_folder", "save_bundle"]
