"""What a landing forecast does not know: how sure the learned curves are, and how quarters drift.

Two sources of spread beyond the luck of each deal and lead:

* **the curves' own uncertainty**: the win chances come from a finite history. Each
  trial draws every stage's conversion from its ``Beta(1 + converted, 1 + total -
  converted)`` posterior (the history's matured counts); an open deal's win chance is
  scaled, in that trial, by the drawn chance of winning from its stage over the learned
  one (the product of the drawn rates from its stage on over the product of the learned
  ones);
* **quarter-to-quarter drift**: conversion moves from one quarter to the next by more
  than sampling explains (a market, a team, a season). :func:`conversion_drift` learns
  that spread from the history's matured quarterly cohorts (method of moments: the
  cohorts' spread of top-to-won conversion beyond its binomial sampling variance), and
  every trial draws one common shock for its quarter (a lognormal multiplier with mean
  1), shared by the open pipeline and the leads still to come.

:class:`Uncertainty` holds both and draws the per-trial multipliers; the lead volume's
own uncertainty is :class:`~alignlib.forecast.volume.VolumeForecast`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from alignlib.forecast._docs import draws_doc, matured_snapshot_doc, snapshot_doc

#: Fewest matured quarterly cohorts the drift is learned from (fewer: no drift).
MIN_DRIFT_COHORTS = 4

#: Significance below which the cohorts' spread says the history is not stationary.
STATIONARITY_ALPHA = 0.01


@dataclass(frozen=True)
class ConversionDrift:
    """How much a quarter's top-to-won conversion moves beyond sampling, from the history.

    Attributes
    ----------
    sd : float
        Relative standard deviation of a quarter's conversion around the history's
        (0 when the spread is within sampling or too few cohorts).
    cohorts : int
        Matured quarterly cohorts it was learned from.
    conversion : float
        The pooled top-to-won conversion of those cohorts (NaN without any).
    q_statistic : float
        Cochran's Q of the cohorts' conversions (``sum n (p - p_bar)^2 / (p_bar (1 - p_bar))``).
    p_value : float
        P(chi-square with ``cohorts - 1`` degrees of freedom >= Q): small when the
        conversion was not the same in every quarter (NaN with fewer than two cohorts).
    trend_p_value : float
        Two-sided p-value of a linear trend of conversion over the cohorts (the
        Cochran-Armitage test: a step or a slide shows here before it shows in Q).
    """

    sd: float
    cohorts: int
    conversion: float
    q_statistic: float
    p_value: float
    trend_p_value: float = float("nan")

    @property
    def stationary(self) -> bool | None:
        """False when the cohorts' conversion differs or trends by more than sampling (None: too few to tell).

        Each of the two tests is held to half of :data:`STATIONARITY_ALPHA` (Bonferroni).
        """
        if self.cohorts < MIN_DRIFT_COHORTS or not math.isfinite(self.p_value):
            return None
        smallest = min(
            self.p_value, self.trend_p_value if math.isfinite(self.trend_p_value) else 1.0
        )
        return smallest >= STATIONARITY_ALPHA / 2


@snapshot_doc
def conversion_drift(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stage_names: Sequence[str],
    maturity_days: float,
) -> ConversionDrift:
    """Learn the quarter-to-quarter drift of top-to-won conversion from matured cohorts.

    Contacts are grouped by the quarter they were created in; a quarter whose last day
    is at least ``maturity_days`` before ``as_of`` has matured (as
    :func:`alignlib.metrics.cohort_conversion` judges its months). With ``k`` matured
    quarters of ``n_q`` contacts converting at ``p_q`` (pooled ``p``), the
    between-quarter variance is ``max(0, (sum n_q (p_q - p)^2 - (k - 1) p (1 - p)) /
    (N - sum n_q^2 / N))`` (the method of moments) and the drift is its square root
    over ``p``.

    Parameters
    ----------
    maturity_days : float
        How old a cohort must be to have converted
        (:attr:`alignlib.history.funnel.FunnelHistory.maturity_days`; NaN: none has).

    Returns
    -------
    ConversionDrift
        ``sd == 0`` with fewer than :data:`MIN_DRIFT_COHORTS` cohorts or no win.
    """
    stages = tuple(stage_names)
    nan = float("nan")
    if not len(table) or not math.isfinite(maturity_days):
        return ConversionDrift(0.0, 0, nan, nan, nan)
    created = table["created"].to_numpy(dtype="datetime64[s]")
    ok = ~np.isnat(created)
    months = created[ok].astype("datetime64[M]").astype(np.int64)
    quarters = (months // 3) * 3  # first month of the quarter, months since 1970-01
    first = int(quarters.min(initial=0))
    codes = (quarters - first) // 3
    k_all = int(codes.max(initial=-1)) + 1
    n = np.bincount(codes, minlength=k_all).astype(float)
    won = table[f"reached_{stages[-1]}"].to_numpy(dtype=bool)[ok]
    x = np.bincount(codes[won], minlength=k_all).astype(float)
    # days from each quarter's last day to as_of (the age cohort_conversion gives a month)
    ends = (np.arange(k_all) * 3 + first + 3).astype("datetime64[M]").astype("datetime64[D]")
    today = np.datetime64(pd.Timestamp(as_of).normalize().strftime("%Y-%m-%d"), "D")
    age = (today.astype(np.int64) - ends.astype(np.int64)).astype(float) + 1
    keep = (age >= maturity_days) & (n > 0)
    n, x = n[keep], x[keep]
    k = len(n)
    total = float(n.sum())
    if k == 0:
        return ConversionDrift(0.0, 0, nan, nan, nan)
    p = float(x.sum() / total)
    if k < 2 or p <= 0 or p >= 1:
        return ConversionDrift(0.0, k, p, nan, nan)
    q = float((n * (x / n - p) ** 2).sum() / (p * (1 - p)))
    p_value = float(stats.chi2.sf(q, k - 1))
    spread = total - float((n * n).sum()) / total
    tau2 = max(0.0, (q - (k - 1)) * p * (1 - p) / spread) if spread > 0 else 0.0
    sd = math.sqrt(tau2) / p if k >= MIN_DRIFT_COHORTS else 0.0
    # Cochran-Armitage: sum t (x - n p) over its null sd, t the cohort's position
    t = np.flatnonzero(keep).astype(float)
    t_bar = float((n * t).sum() / total)
    var = p * (1 - p) * float((n * (t - t_bar) ** 2).sum())
    z = float(((t - t_bar) * (x - n * p)).sum()) / math.sqrt(var) if var > 0 else 0.0
    trend = float(2 * stats.norm.sf(abs(z)))
    return ConversionDrift(sd, k, p, q, p_value, trend)


@dataclass(frozen=True)
class Uncertainty:
    """The forecast's own uncertainty: stage conversions' posteriors and the quarter's drift.

    Attributes
    ----------
    stage_names : tuple of str
        The funnel.
    rates : Mapping[str, tuple[int, int]]
        From-stage -> ``(converted, total)`` the curves were learned with (stages left
        out draw no uncertainty).
    drift : ConversionDrift
        The quarter-to-quarter drift.
    """

    stage_names: tuple[str, ...]
    rates: Mapping[str, tuple[int, int]]
    drift: ConversionDrift

    @draws_doc
    def shocks(self, trials: int, rng: np.random.Generator) -> np.ndarray:
        """One common conversion multiplier per trial (lognormal, mean 1; ones without drift).

        Returns
        -------
        ndarray, shape (trials,)
        """
        sd = self.drift.sd
        if sd <= 0:
            return np.ones(trials)
        s2 = math.log1p(sd * sd)
        return np.exp(rng.normal(-s2 / 2, math.sqrt(s2), trials))

    @draws_doc
    def curve_multipliers(self, trials: int, rng: np.random.Generator) -> np.ndarray:
        """Per trial and stage, the drawn chance to win from the stage over the learned one.

        Returns
        -------
        ndarray, shape (trials, stages - 1)
            Column ``i``: ``prod_{j >= i} r_j / r_hat_j`` with ``r_j`` drawn from its Beta
            posterior (1 where a stage learned no rate).
        """
        n = len(self.stage_names) - 1
        ratios = np.ones((trials, max(n, 0)))
        for j, stage in enumerate(self.stage_names[:-1]):
            counts = self.rates.get(stage)
            if counts is None or counts[1] <= 0 or counts[0] <= 0:
                continue
            converted, total = counts
            draws = rng.beta(1 + converted, 1 + total - converted, trials)
            ratios[:, j] = draws / (converted / total)
        # from stage i to won: the product of stage i's ratio and every later one's
        return np.cumprod(ratios[:, ::-1], axis=1)[:, ::-1]

    @draws_doc
    def multipliers(self, trials: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The quarter's shocks and the open deals' win-chance multipliers (shock included).

        Returns
        -------
        tuple of (ndarray, ndarray)
            Shocks, shape ``(trials,)``; multipliers, shape ``(trials, stages - 1)``.
        """
        shock = self.shocks(trials, rng)
        return shock, self.curve_multipliers(trials, rng) * shock[:, None]


@matured_snapshot_doc
def uncertainty_from(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stage_names: Sequence[str],
    rates: Mapping[str, tuple[int, int]],
    maturity_days: float,
) -> Uncertainty:
    """The forecast's uncertainty as a table teaches it at ``as_of``.

    Parameters
    ----------
    rates : Mapping[str, tuple[int, int]]
        The history's matured counts (:attr:`alignlib.history.funnel.FunnelHistory.rates`).

    Returns
    -------
    Uncertainty
    """
    stages = tuple(stage_names)
    return Uncertainty(stages, dict(rates), conversion_drift(table, as_of, stages, maturity_days))
