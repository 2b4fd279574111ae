"""Models over a plain training frame: train, calibrate, bundle, evaluate, explain, register.

The package knows nothing about the warehouse. Its input is a :class:`~commercelens.ml.data.TrainingFrame`:
a polars DataFrame with an entity id, ``decision_at``, ``label`` (0/1, null = unlabelled),
``split`` (``train`` / ``validation`` / ``test``, by time) and the whitelisted feature columns.

Map of the modules (one concept each):

- ``data``: the input contract, its checks, data window and training-data hash.
- ``encoding``: ``FrameEncoder``, the Pipeline's first step (categories -> ordinal codes).
- ``models``: the estimator factory per family, class weights, early stopping, raw scores.
- ``calibration``: isotonic or sigmoid, chosen by cross-fitting on the calibration slice.
- ``tuning``: optional Optuna search under a time budget, on validation only.
- ``train``: ``train_model`` -> ``ModelBundle``.
- ``bundle``: the bundle, ``save_bundle`` / ``load_bundle``, ``predict_proba`` / ``predict_one``.
- ``metrics`` and ``curves``: scalar metrics, top-k table, threshold table; curve data.
- ``plots``: ROC, PR, calibration, gain/lift and importance PNGs plus the data behind them.
- ``explain``: global importance and per-row reason codes (TreeSHAP contributions).
- ``evaluate``: ``evaluate_bundle`` -> ``EvaluationResult`` (model vs oracle).
- ``registry``: MLflow tracking and the ``champion`` alias.
- ``synthetic``: a task with planted probabilities, for tests, benchmarks and docs.
"""
