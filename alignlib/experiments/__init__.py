"""Experiment readouts for funnel changes.

Did a change to one stage's conversion work, how sure are we, how long must it run, and
what is it worth in bookings this quarter.

Every figure names its method (``methods`` on each result), because sample-size and
lift figures differ by formula and a reader must know which one they see. The package is
split by method, each module naming its references:

* :mod:`~alignlib.experiments.frequentist`: Newcombe interval for the difference, Katz
  log interval for the lift, pooled z-test (Fisher's exact test for a small sparse
  table), Holm and Benjamini-Hochberg corrections.
* :mod:`~alignlib.experiments.bayesian`: exact P(beat control) and expected loss under
  uniform-prior Beta posteriors.
* :mod:`~alignlib.experiments.sequential`: the peeking guard (mixture SPRT, always-valid
  p-values and intervals).
* :mod:`~alignlib.experiments.power`: sample size, detectable effect, weeks to run.
* :mod:`~alignlib.experiments.srm`: the sample-ratio mismatch check.
* :mod:`~alignlib.experiments.comparison`: one or several variants against control, and
  funnel depth (the same readout at every later stage).
* :mod:`~alignlib.experiments.exports`: reading a per-lead experiment export.
* :mod:`~alignlib.experiments.readout`: the readout of each experiment in a parameters
  file.
* :mod:`~alignlib.experiments.impact`: revenue impact through the quarter's Monte Carlo
  simulation.
* :mod:`~alignlib.experiments.text`: the sentences of a readout.

Entry points for reports and the CLI: :func:`analyse_experiment`,
:func:`analyse_experiments`, :func:`readouts_frame`, :func:`revenue_impact`,
:func:`sample_size_per_arm`.
"""

from alignlib.experiments.bayesian import (
    METHOD_BAYES,
    METHOD_LOSS,
    SUM_MAX_N,
    expected_loss,
    posterior_grid,
    prob_beat_control,
)
from alignlib.experiments.comparison import (
    FunnelDepth,
    ProportionsComparison,
    VariantsComparison,
    compare_proportions,
    compare_variants,
    funnel_depth,
)
from alignlib.experiments.exports import ExperimentCounts, load_experiment_export
from alignlib.experiments.frequentist import (
    FISHER_MAX_TOTAL,
    METHOD_DIFF_CI,
    METHOD_FISHER,
    METHOD_LIFT_CI,
    METHOD_LIFT_CI_ADJUSTED,
    METHOD_Z,
    MIN_EXPECTED_CELL,
    Correction,
    TwoProportionTest,
    adjust_p_values,
    newcombe_interval,
    two_proportion_test,
    wilson_interval,
)
from alignlib.experiments.impact import METHOD_IMPACT, ImpactMode, RevenueImpact, revenue_impact
from alignlib.experiments.power import (
    METHOD_SAMPLE_SIZE,
    WEEKS_PER_MONTH,
    DetectableEffect,
    SampleSize,
    minimum_detectable_effect,
    sample_size_per_arm,
    weeks_to_run,
)
from alignlib.experiments.readout import (
    ExperimentReadout,
    analyse_experiment,
    analyse_experiments,
    comparisons_of,
    plan_monthly_volume,
    readouts_frame,
)
from alignlib.experiments.sequential import (
    METHOD_SEQUENTIAL,
    SequentialCheck,
    always_valid_p_values,
    sequential_check,
)
from alignlib.experiments.srm import METHOD_SRM, SRM_THRESHOLD, SrmCheck, srm_check
from alignlib.experiments.text import format_comparison

__all__ = [
    "FISHER_MAX_TOTAL",
    "METHOD_BAYES",
    "METHOD_DIFF_CI",
    "METHOD_FISHER",
    "METHOD_IMPACT",
    "METHOD_LIFT_CI",
    "METHOD_LIFT_CI_ADJUSTED",
    "METHOD_LOSS",
    "METHOD_SAMPLE_SIZE",
    "METHOD_SEQUENTIAL",
    "METHOD_SRM",
    "METHOD_Z",
    "MIN_EXPECTED_CELL",
    "SRM_THRESHOLD",
    "SUM_MAX_N",
    "WEEKS_PER_MONTH",
    "Correction",
    "DetectableEffect",
    "ExperimentCounts",
    "ExperimentReadout",
    "FunnelDepth",
    "ImpactMode",
    "ProportionsComparison",
    "RevenueImpact",
    "SampleSize",
    "SequentialCheck",
    "SrmCheck",
    "TwoProportionTest",
    "VariantsComparison",
    "adjust_p_values",
    "always_valid_p_values",
    "analyse_experiment",
    "analyse_experiments",
    "compare_proportions",
    "comparisons_of",
    "compare_variants",
    "expected_loss",
    "format_comparison",
    "funnel_depth",
    "load_experiment_export",
    "minimum_detectable_effect",
    "newcombe_interval",
    "plan_monthly_volume",
    "posterior_grid",
    "prob_beat_control",
    "readouts_frame",
    "revenue_impact",
    "sample_size_per_arm",
    "sequential_check",
    "srm_check",
    "two_proportion_test",
    "weeks_to_run",
    "wilson_interval",
]
