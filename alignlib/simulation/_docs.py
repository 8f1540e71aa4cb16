"""The numpydoc entries the simulation's functions share (see :func:`~alignlib.docstrings.shared_doc`).

The public entry points take the same funnel keywords, seed and memory budget; the block
functions the same model, entropy and exact-sum threshold. Their text is written here once.
"""

from __future__ import annotations

from alignlib.docstrings import shared_doc

#: ``leads``, for the entry points whose lead volume is the one simulated.
LEADS = {
    "leads : int or LeadVolume, optional": (
        "Keyword form: leads entering the top stage, a fixed number,\n"
        "    ``LeadVolume.poisson(mean)`` or ``LeadVolume.monthly(volumes, spread)``."
    ),
}

#: The funnel keywords besides ``leads``: what :func:`build_model` builds a model from.
FUNNEL = {
    "stages : sequence of str, optional": "Keyword form: stage names, top to bottom.",
    "rates : sequence, optional": (
        "Keyword form: one per transition, a rate in (0, 1] or ``(converted, total)``\n"
        "    historical counts read as a Beta(1 + converted, 1 + total - converted) posterior,\n"
        "    drawn afresh in each trial."
    ),
    "deal_size : float, (mean, spread) or DealSize, optional": (
        "Keyword form: a fixed amount, or a lognormal with this mean and standard deviation."
    ),
    "lags : sequence or mapping, optional": (
        "Keyword form: days from entering each stage to entering the next (see\n"
        "    :func:`build_model`). With lags, only deals closing inside the quarter count\n"
        "    toward ``revenue``; the rest go to ``revenue_after`` (or ``revenue_before``)."
    ),
    "quarter_days : float, optional": (
        "Keyword form: length of the quarter in days (default 91 when lags are given).\n"
        "    Leads arrive uniformly over a window of this length, or uniformly within their\n"
        "    month (equal thirds) for monthly volumes."
    ),
    "lead_window_start : float, optional": (
        "Keyword form: day, relative to the quarter's first day, the lead arrival window\n"
        "    opens (default 0). A negative value models the leads planned ahead of the quarter\n"
        "    so that their deals close inside it (``model_from_params`` uses minus the typical\n"
        "    lead-to-won lag, as the monthly plan does)."
    ),
    "carry_in : bool, optional": (
        "Keyword form: steady state (``model_from_params`` turns it on); the quarters before\n"
        "    and after run the same plan, and their leads' deals that close inside this quarter\n"
        "    count toward it (``won_carried_in``). Without it, slipping deals are pure loss and\n"
        "    P(hit) is understated whenever deals straddle quarter ends. Every window the\n"
        "    total lag reaches (up to its 0.999 quantile) is carried in, so the expected wins\n"
        "    in the quarter are leads x rates whatever the lags; a ``UserWarning`` names the\n"
        "    share left out if it is more than :data:`CARRY_WARN_SHARE`."
    ),
}

#: The searches on common random numbers (:func:`plan_for_confidence`, :func:`sensitivity`).
SEARCH = {
    "seed : int, optional": (
        "Root of the ``SeedSequence``; the same seed draws the same numbers. Without\n"
        "    ``seed`` and ``rng`` fresh entropy is used and recorded in the result's ``seed``."
    ),
    "rng : numpy.random.Generator, optional": (
        "Alternative to ``seed``: one integer is drawn from it to seed the run."
    ),
    "memory_gb : float, optional": (
        "Memory budget in GB for the common random numbers (default as in\n"
        "    :func:`simulate_funnel`); too many trials are refused before drawing."
    ),
}

#: A block of trials: the funnel, the run's entropy and where deal sums stop being exact.
block_doc = shared_doc(
    parameters={
        "model : FunnelModel": "The funnel.",
        "entropy : int": "Root entropy of the run.",
        "exact_below : int": "Won-deal counts below this get exact lognormal sums.",
    }
)

#: A function of the number of trials alone.
trials_doc = shared_doc(parameters={"trials : int": "Number of trials."})
