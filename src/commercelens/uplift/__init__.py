"""Uplift modelling: who should be treated, and how well a ranking finds them (pure, no I/O).

- ``metrics``: uplift and Qini curves, perfect curves, normalised AUUC / Qini (``qini_coefficient``)
  and uplift@k in scikit-uplift 0.5.1's convention, the product's convention.
- ``causalml_metrics``: causalml 0.18's AUUC and Qini scores, for comparison with its numbers.
- ``learners``: T-learner, X-learner and class transformation on LightGBM, ``make_learner``.
- ``features``: the DataFrame / array encoding (categoricals included) shared by fit and predict.
- ``policy``: choose how many top-ranked units to treat for profit; evaluate it on a holdout.
- ``validation``: the input checks behind every public function.
"""
