"""Pure experiment statistics on sufficient statistics (NumPy/SciPy only, no I/O).

Inputs are frozen `*Stats` / `*Config` dataclasses, outputs `*Result` dataclasses; non-fatal
conditions (zero variance, n <= 1) come back as a `status` on the result, never as a NaN or an
exception. Conventions follow GrowthBook's gbstats: A = control, B = treatment; relative lift =
(mean_B - mean_A) / |mean_A|; sample variance (sum_squares - sum^2/n)/(n-1) for means and
p(1-p) for proportions.
"""
