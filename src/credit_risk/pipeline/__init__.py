"""The pipeline: what joins data, features, labels, models and the store into runs.

``fit``          :func:`fit_models`, :class:`TrainedModels` (split + fitting)
``splits``       :class:`TimeSplit`, :class:`ColumnSplit`, :class:`GroupedKFold`
``crossval``     out-of-fold fitting for grouped K-fold
``domains``      the domain models' fitting and comparison with the generic model
``constraints``  what the monotone constraints cost
``evaluate``     metrics, bootstraps and figures on held-out rows → the report
``train``        :func:`train`, :func:`train_and_track` (``credit-risk train``)
``score``        the one scoring path: probability, domain scores, tier, reasons, in chunks
``demo``         the end-to-end demo (``credit-risk demo``)

Layering: the CLI imports this package; this package imports the store, the models and
everything below; nothing below imports it. The names are not re-exported here, so that
``credit_risk.pipeline.train`` is always the module.
"""
