"""Monte Carlo simulation of the funnel: the odds of hitting plan, a plan sized for confidence,
and which input moves those odds most; runs on threads locally or on a dask cluster.

The model, per trial (one possible quarter):

* **leads** arrive: a fixed number, ``Poisson(mean)``, or per-month volumes with a spread
  (gamma-Poisson, i.e. negative binomial, per month);
* each **stage** converts a binomial share of the volume that reached it. A rate is fixed,
  or given as historical ``(converted, total)`` counts, read as a
  ``Beta(1 + converted, 1 + total - converted)`` posterior: every trial draws its own rate,
  so uncertainty about the rate shows in the spread of the result;
* every **won deal** is worth a fixed amount or a lognormal amount (fitted to a mean and a
  spread by the method of moments); revenue is the sum over the trial's won deals;
* with **stage lags** (days, typical and spread, each a gamma distribution with that mean
  and standard deviation) a won deal counts toward the quarter only if it closes inside
  it; the rest is reported as revenue before or after the quarter. Leads arrive uniformly
  over a window one quarter long (by default the quarter itself; ``lead_window_start``
  moves it earlier, as the monthly plan does). With ``carry_in`` (steady state, the default
  of :func:`simulate_from_params`) deals from the previous and next windows' leads that
  close inside the quarter count too.

Beyond :func:`simulate_funnel`: :func:`plan_for_confidence` (the smallest lead volume that
hits the target with a chosen confidence, beside the point-estimate reverse funnel),
:func:`sensitivity` (which input moves P(hit) most), both on :class:`CommonRandomNumbers`,
and ``*_from_params`` helpers that read a :class:`~alignlib.params.QuarterParams`.

Speed comes from binomial thinning (no per-lead arrays) and from blocks of
:data:`BLOCK_TRIALS` trials, each with its own random stream spawned from one
``SeedSequence``: the stream partition depends only on the seed and the number of trials, so
the numbers are identical whatever the chunk size, the number of threads, or whether the
blocks run on a dask cluster.

Two documented approximations keep the cost per trial flat (both exact in distribution for
the parts that matter, tested against brute force within the Monte Carlo error):

* the **sum of k lognormal deal sizes** is drawn exactly for small k and, for larger k,
  from a shifted lognormal that matches the sum's mean, variance *and* skewness exactly
  (error only from the fourth moment onward, O(1/k)). The switch-over,
  :attr:`DealSize.exact_sum_below`, is ``max(16, 2 x excess kurtosis of one deal)``: 16 for
  realistic spreads (spread/mean up to ~0.8), 76 at spread = mean; tested so that the
  approximation's error stays below the Monte Carlo error of a 100,000-trial run;
* **timing**: a won deal lands in the quarter with probability
  ``q = P(arrival + total lag <= quarter_days)``, the same for every won deal of a trial and
  independent between deals, so in-quarter wins are ``Binomial(wins, q)`` given the wins
  (exact under the model). ``q`` is computed once by numerical convolution of the stage lag
  gammas on a fine grid (discretisation error below 1e-4), not approximated by a single
  gamma.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError

#: Trials per random stream. Fixed (never depends on workers or chunk size) so that the same
#: seed gives the same numbers however the work is scheduled.
BLOCK_TRIALS: int = 65_536

#: Won-deal counts below this (at least) get an exact sum of lognormal deal sizes; above,
#: the three-moment shifted-lognormal approximation of the sum (see DealSize.exact_sum_below).
DEAL_SUM_EXACT_BELOW: int = 16

#: Longest run of exact deal amounts kept per trial by CommonRandomNumbers (memory bound).
_CRN_MAX_PATH: int = 128

#: Default length of a quarter in days when lags are given without one.
DEFAULT_QUARTER_DAYS: float = 91.0

_LAG_GRID_POINTS: int = 1 << 14
_MAX_COUNT: int = np.iinfo(np.int32).max

ProgressCallback = Callable[[int], None]


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadVolume:
    """How many leads a quarter brings: fixed, Poisson, or per-month volumes with a spread.

    Build with :meth:`fixed`, :meth:`poisson` or :meth:`monthly`; ``simulate_funnel`` also
    accepts a plain integer (fixed).

    Attributes
    ----------
    kind : {"fixed", "poisson", "monthly"}
    monthly_means : tuple of float
        Expected leads per month (one entry for fixed and Poisson volumes).
    monthly_spreads : tuple of float
        Standard deviation of each month's volume (monthly only). A spread at or below the
        Poisson spread ``sqrt(mean)`` means Poisson; above it, the month's volume is
        gamma-Poisson (negative binomial) with exactly that spread.
    """

    kind: str
    monthly_means: tuple[float, ...]
    monthly_spreads: tuple[float, ...] = ()

    @classmethod
    def fixed(cls, leads: int) -> LeadVolume:
        """Exactly ``leads`` leads in every trial."""
        return cls("fixed", (float(_check_count(leads, "leads")),))

    @classmethod
    def poisson(cls, mean: float) -> LeadVolume:
        """``Poisson(mean)`` leads per trial."""
        return cls("poisson", (_check_nonnegative(mean, "leads (Poisson mean)"),))

    @classmethod
    def monthly(cls, volumes: Sequence[float], spread: Sequence[float] | float) -> LeadVolume:
        """Per-month expected volumes with their month-to-month standard deviation.

        Leads of month ``m`` arrive uniformly within it (months of equal length).
        """
        means = tuple(
            _check_nonnegative(v, f"leads month {i + 1} volume") for i, v in enumerate(volumes)
        )
        if not means:
            raise InputError("leads: monthly volumes are empty; give at least one month")
        spreads_in = [spread] * len(means) if np.isscalar(spread) else list(spread)  # type: ignore[arg-type]
        if len(spreads_in) != len(means):
            raise InputError(
                f"leads: {len(means)} monthly volumes but {len(spreads_in)} spreads; give one per month"
            )
        spreads = tuple(
            _check_nonnegative(s, f"leads month {i + 1} spread") for i, s in enumerate(spreads_in)
        )
        return cls("monthly", means, spreads)

    def __post_init__(self) -> None:
        # volumes are stored as int32 per trial: keep far from overflow
        top = sum(m + 10 * max(math.sqrt(m), s) for m, s in self._pairs())
        if top > _MAX_COUNT:
            raise InputError(f"leads: an expected volume of {self.mean:,.0f} is too large")

    def _pairs(self) -> list[tuple[float, float]]:
        spreads = self.monthly_spreads or (0.0,) * len(self.monthly_means)
        return list(zip(self.monthly_means, spreads, strict=True))

    @property
    def mean(self) -> float:
        """Expected leads per trial."""
        return float(sum(self.monthly_means))

    def scaled(self, total_mean: float) -> LeadVolume:
        """The same shape with a different expected total (spreads scale proportionally)."""
        if self.kind == "fixed":
            return LeadVolume("fixed", (float(round(total_mean)),))
        if self.kind == "poisson":
            return LeadVolume("poisson", (float(total_mean),))
        factor = total_mean / self.mean if self.mean > 0 else 0.0
        return LeadVolume(
            "monthly",
            tuple(m * factor for m in self.monthly_means),
            tuple(s * factor for s in self.monthly_spreads),
        )

    def _gamma_shapes(self) -> tuple[float, ...]:
        """Per month: shape of the gamma mixing Poisson rate (inf = plain Poisson)."""
        shapes = []
        for m, s in zip(self.monthly_means, self.monthly_spreads, strict=True):
            extra = s * s - m
            shapes.append(m * m / extra if (m > 0 and extra > 1e-12) else math.inf)
        return tuple(shapes)


@dataclass(frozen=True)
class DealSize:
    """Deal amount: fixed (``spread == 0``) or lognormal with this mean and standard deviation."""

    mean: float
    spread: float = 0.0

    @property
    def cv(self) -> float:
        """Coefficient of variation (spread / mean)."""
        return self.spread / self.mean

    @property
    def exact_sum_below(self) -> int:
        """Won-deal count from which a trial's revenue uses the shifted-lognormal sum.

        The approximation's leading error is the sum's excess kurtosis mismatch, which is
        proportional to one deal's excess kurtosis over k; twice that kurtosis keeps it below
        the Monte Carlo error of a 100,000-trial run (tests/test_simulation.py).
        """
        if self.spread == 0:
            return DEAL_SUM_EXACT_BELOW
        w = 1.0 + self.cv**2
        kurtosis = w**4 + 2 * w**3 + 3 * w**2 - 6
        return max(DEAL_SUM_EXACT_BELOW, math.ceil(2 * kurtosis))

    @property
    def lognormal_params(self) -> tuple[float, float]:
        """``(mu, sigma)`` of the log of the amount (method of moments)."""
        s2 = math.log1p(self.cv**2)
        return math.log(self.mean) - s2 / 2.0, math.sqrt(s2)


@dataclass(frozen=True)
class Lag:
    """Days from entering a stage to entering the next: gamma with this mean and sd."""

    typical: float
    spread: float = 0.0


@dataclass(frozen=True)
class _Rate:
    stage: str
    fixed: float | None
    converted: int = 0
    total: int = 0

    @property
    def mean(self) -> float:
        if self.fixed is not None:
            return self.fixed
        return (1.0 + self.converted) / (2.0 + self.total)

    @property
    def point(self) -> float:
        """What a point-estimate calculator uses: the rate, or converted / total."""
        if self.fixed is not None:
            return self.fixed
        return self.converted / self.total if self.converted > 0 else self.mean


@dataclass(frozen=True)
class FunnelModel:
    """Validated, normalised simulation inputs (picklable, so dask workers can take it)."""

    stages: tuple[str, ...]
    rates: tuple[_Rate, ...]
    leads: LeadVolume
    deal_size: DealSize
    lags: tuple[Lag, ...] | None = None
    quarter_days: float | None = None
    #: day (relative to the quarter's first day) the lead arrival window opens; the window
    #: is ``quarter_days`` long. Negative = leads arrive before the quarter, as planned.
    lead_window_start: float = 0.0
    #: per month of lead arrival, P(a won deal from that month closes inside the quarter)
    in_quarter_probability: tuple[float, ...] | None = None
    #: per month of lead arrival, P(a won deal from that month closes before the quarter)
    before_quarter_probability: tuple[float, ...] | None = None
    #: count deals from the previous and next lead windows that close inside the quarter
    carry_in: bool = False
    #: per month: P(a won deal from the previous window's month closes inside the quarter)
    carry_from_previous: tuple[float, ...] | None = None
    #: per month: P(a won deal from the next window's month closes inside the quarter)
    carry_from_next: tuple[float, ...] | None = None

    @property
    def has_lags(self) -> bool:
        return self.lags is not None

    @property
    def transitions(self) -> list[str]:
        return [f"{a}→{b}" for a, b in zip(self.stages[:-1], self.stages[1:], strict=True)]

    def with_leads(self, leads: LeadVolume) -> FunnelModel:
        """Same funnel, another lead volume (timing probabilities recomputed if months change)."""
        return build_model(
            leads=leads,
            stages=self.stages,
            rates=[r.fixed if r.fixed is not None else (r.converted, r.total) for r in self.rates],
            deal_size=self.deal_size,
            lags=self.lags,
            quarter_days=self.quarter_days,
            lead_window_start=self.lead_window_start,
            carry_in=self.carry_in,
        )


def _check_nonnegative(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: {value!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{what}: {value!r} must be a finite number >= 0")
    return v


def _check_count(value: Any, what: str) -> int:
    v = _check_nonnegative(value, what)
    if v != int(v):
        raise InputError(f"{what}: {value!r} must be a whole number")
    if v > _MAX_COUNT:
        raise InputError(f"{what}: {value!r} is larger than {_MAX_COUNT:,}")
    return int(v)


def _parse_rate(stage: str, spec: Any) -> _Rate:
    where = f"conversion rate from stage '{stage}'"
    if hasattr(spec, "simulation_input"):  # a params RateSpec
        return _parse_rate(stage, spec.simulation_input)
    if isinstance(spec, tuple | list) or hasattr(spec, "converted"):
        if hasattr(spec, "converted"):
            c_raw, t_raw = spec.converted, spec.total
        else:
            if len(spec) != 2:
                raise InputError(f"{where}: {spec!r} must be a rate or (converted, total)")
            c_raw, t_raw = spec
        for name, raw in (("converted", c_raw), ("total", t_raw)):
            if isinstance(raw, bool) or not isinstance(raw, int | np.integer | float):
                raise InputError(f"{where}: {name}={raw!r} is not a count")
            if raw < 0 or raw != int(raw):
                raise InputError(f"{where}: {name}={raw!r} must be a whole number >= 0")
        c, t = int(c_raw), int(t_raw)
        if t == 0:
            raise InputError(
                f"{where}: total=0 (no history); give a rate instead of counts (converted={c})"
            )
        if c > t:
            raise InputError(f"{where}: converted={c} is more than total={t}")
        return _Rate(stage, None, c, t)
    try:
        r = float(spec)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {spec!r} must be a rate or (converted, total)") from None
    if not (0.0 < r <= 1.0):
        raise InputError(f"{where}: rate {spec!r} is outside (0, 1]")
    return _Rate(stage, r)


def _parse_deal_size(deal_size: Any) -> DealSize:
    if isinstance(deal_size, DealSize):
        mean, spread = deal_size.mean, deal_size.spread
    elif hasattr(deal_size, "mean") and hasattr(deal_size, "spread"):
        mean, spread = deal_size.mean, deal_size.spread
    elif isinstance(deal_size, tuple | list):
        if len(deal_size) != 2:
            raise InputError(f"deal_size: {deal_size!r} must be an amount or (mean, spread)")
        mean, spread = deal_size
    else:
        mean, spread = deal_size, 0.0
    m = _check_nonnegative(mean, "deal_size mean")
    s = _check_nonnegative(spread, "deal_size spread")
    if m <= 0:
        raise InputError(f"deal_size: mean {mean!r} must be > 0")
    return DealSize(m, s)


def _parse_leads(leads: Any) -> LeadVolume:
    if isinstance(leads, LeadVolume):
        return leads
    if isinstance(leads, bool):
        raise InputError(f"leads: {leads!r} is not a number of leads")
    if isinstance(leads, int | np.integer):
        return LeadVolume.fixed(int(leads))
    if isinstance(leads, float) and leads.is_integer():
        return LeadVolume.fixed(int(leads))
    raise InputError(
        f"leads: {leads!r} must be a whole number or a LeadVolume "
        "(LeadVolume.poisson(mean), LeadVolume.monthly(volumes, spread))"
    )


def _parse_lags(lags: Any, stages: Sequence[str]) -> tuple[Lag, ...]:
    n = len(stages) - 1
    if isinstance(lags, Mapping):
        missing = [s for s in stages[:-1] if s not in lags]
        unknown = [k for k in lags if k not in stages[:-1]]
        if unknown:
            raise InputError(f"lags: unknown from-stage(s) {unknown}; stages are {list(stages)}")
        if missing:
            raise InputError(f"lags: no lag for stage(s) {missing}")
        items = [(s, lags[s]) for s in stages[:-1]]
    else:
        items = list(zip(stages[:-1], lags, strict=False))
        if len(list(lags)) != n:
            raise InputError(f"lags: {len(list(lags))} lags given for {n} stage transitions")
    out = []
    for stage, spec in items:
        if hasattr(spec, "typical"):
            typical, spread = spec.typical, spec.spread
        elif isinstance(spec, tuple | list) and len(spec) == 2:
            typical, spread = spec
        else:
            typical, spread = spec, 0.0
        t = _check_nonnegative(typical, f"lag from stage '{stage}' typical days")
        s = _check_nonnegative(spread, f"lag from stage '{stage}' spread days")
        if t == 0 and s > 0:
            raise InputError(f"lag from stage '{stage}': spread {s} with a typical lag of 0 days")
        out.append(Lag(t, s))
    return tuple(out)


def build_model(
    *,
    leads: int | LeadVolume,
    stages: Sequence[str],
    rates: Sequence[Any],
    deal_size: float | tuple[float, float] | DealSize,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float = 0.0,
    carry_in: bool = False,
) -> FunnelModel:
    """Validate and normalise the inputs of :func:`simulate_funnel` (see there).

    Raises
    ------
    InputError
        Naming the stage and the value, for rates outside (0, 1], counts with
        converted > total or negative, a stage list that does not match the rates, etc.
    """
    stages_t = tuple(str(s) for s in stages)
    if len(stages_t) < 2:
        raise InputError(f"stages: need at least two stages, got {list(stages_t)}")
    if len(set(stages_t)) != len(stages_t):
        raise InputError(f"stages: names repeat in {list(stages_t)}")
    rates_l = list(rates)
    if len(rates_l) != len(stages_t) - 1:
        raise InputError(
            f"rates: {len(rates_l)} rates for {len(stages_t)} stages; "
            f"need one per transition ({len(stages_t) - 1})"
        )
    parsed = tuple(_parse_rate(s, r) for s, r in zip(stages_t[:-1], rates_l, strict=True))
    lead_volume = _parse_leads(leads)
    deal = _parse_deal_size(deal_size)
    lag_t = None
    q_in = q_before = None
    carry: tuple[Any, Any] = (None, None)
    qd = None
    try:
        start = float(lead_window_start)
    except (TypeError, ValueError):
        raise InputError(f"lead_window_start: {lead_window_start!r} is not a number") from None
    if not math.isfinite(start):
        raise InputError(f"lead_window_start: {lead_window_start!r} is not a number")
    if lags is not None:
        lag_t = _parse_lags(lags, stages_t)
        qd = DEFAULT_QUARTER_DAYS if quarter_days is None else float(quarter_days)
        if not (math.isfinite(qd) and qd > 0):
            raise InputError(f"quarter_days: {quarter_days!r} must be > 0")
        months = len(lead_volume.monthly_means)
        before, inside = close_probabilities(lag_t, qd, months, start)
        q_in = tuple(float(x) for x in inside)
        q_before = tuple(float(x) for x in before)
        if carry_in:
            prev, nxt = carry_in_probabilities(lag_t, qd, months, start)
            carry = (tuple(float(x) for x in prev), tuple(float(x) for x in nxt))
    elif quarter_days is not None:
        qd = float(quarter_days)
    return FunnelModel(
        stages_t,
        parsed,
        lead_volume,
        deal,
        lag_t,
        qd,
        start,
        q_in,
        q_before,
        bool(carry_in) and lag_t is not None,
        *carry,
    )


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


def _lag_pmf(lag: Lag, h: float, n: int) -> np.ndarray:
    """Gamma lag discretised to the nearest grid point j*h (mass beyond the grid dropped)."""
    pmf = np.zeros(n)
    if lag.spread == 0 or lag.typical == 0:
        j = int(round(lag.typical / h))
        if j < n:
            pmf[j] = 1.0
        return pmf
    from scipy import stats

    shape = (lag.typical / lag.spread) ** 2
    scale = lag.spread**2 / lag.typical
    edges = (np.arange(n + 1) - 0.5) * h
    edges[0] = 0.0
    cdf = stats.gamma.cdf(edges, shape, scale=scale)
    return np.diff(cdf)


def total_lag_cdf(lags: Sequence[Lag], horizon_days: float, points: int = _LAG_GRID_POINTS):
    """CDF of the total lead-to-won lag (sum of independent gamma stage lags) on a grid.

    Returns
    -------
    grid : ndarray
        Days ``0, h, 2h, ..., horizon_days``.
    cdf : ndarray
        ``P(total lag <= grid)`` by convolution of the discretised stage lags.
    """
    h = horizon_days / (points - 1)
    size = 2 * points  # zero-padded: a linear, not circular, convolution
    spectrum = np.fft.rfft(np.eye(1, points).ravel(), size)
    for lag in lags:
        spectrum = spectrum * np.fft.rfft(_lag_pmf(lag, h, points), size)
    total = np.clip(np.fft.irfft(spectrum, size)[:points], 0.0, None)
    return np.arange(points) * h, np.minimum(np.cumsum(total), 1.0)


def close_probabilities(
    lags: Sequence[Lag], quarter_days: float, months: int = 1, window_start: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """P(a won deal closes before / inside the quarter), by month of its lead's arrival.

    Leads arrive uniformly over ``[window_start, window_start + quarter_days]`` (days from the
    quarter's first day), split into ``months`` months of equal length; a lead arriving at
    day ``a`` is won at ``a + total lag``, which is inside the quarter if it falls in
    ``[0, quarter_days]``. Exact under the model up to the grid discretisation (error well
    below 1e-4 with the default grid).

    Returns
    -------
    before, inside : ndarray
        One probability per month.
    """
    by_start = _close_by(lags, quarter_days, months, window_start, [0.0, quarter_days])
    before = by_start[0]
    inside = by_start[1] - by_start[0]
    return np.clip(before, 0.0, 1.0), np.clip(inside, 0.0, 1.0)


def carry_in_probabilities(
    lags: Sequence[Lag], quarter_days: float, months: int = 1, window_start: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """P(a won deal from the previous / next lead window closes inside this quarter), by month.

    In steady state the quarters around this one run the same plan: the previous window is
    this one moved a quarter earlier, so its deals close inside this quarter as often as
    this window's deals close inside the *next* quarter (and the next window's as often as
    this window's close inside the previous quarter). Windows further away are ignored.
    """
    q = quarter_days
    by = _close_by(lags, q, months, window_start, [-q, 0.0, q, 2 * q])
    from_previous = by[3] - by[2]  # this window's deals closing in [q, 2q]
    from_next = by[1] - by[0]  # this window's deals closing in [-q, 0]
    return np.clip(from_previous, 0.0, 1.0), np.clip(from_next, 0.0, 1.0)


def _close_by(
    lags: Sequence[Lag], quarter_days: float, months: int, window_start: float, days: list
) -> list[np.ndarray]:
    """For each day d in ``days``: per month, P(a won deal has closed by day d)."""
    horizon = max(days) - window_start
    grid, cdf = total_lag_cdf(lags, max(horizon, 1e-9))
    # integral of the CDF from 0 to t: a month's average of CDF(d - a) is a difference
    h = grid[1] - grid[0]
    integral = np.concatenate([[0.0], np.cumsum((cdf[1:] + cdf[:-1]) * h / 2.0)])

    def cum(t: float) -> float:
        # integral_0^t CDF, with CDF = 0 below 0
        return float(np.interp(t, grid, integral)) if t > 0 else 0.0

    month_len = quarter_days / months
    out = []
    for d in days:
        per_month = []
        for m in range(months):
            a0 = window_start + m * month_len
            a1 = a0 + month_len
            per_month.append((cum(d - a0) - cum(d - a1)) / month_len)
        out.append(np.array(per_month))
    return out


# ---------------------------------------------------------------------------------------------
# Deal sums
# ---------------------------------------------------------------------------------------------


def _shifted_lognormal(k: np.ndarray, deal: DealSize) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameters (shift, scale, sigma) of the shifted lognormal matching the first three
    moments of a sum of ``k`` iid lognormal deals: ``S = shift + scale * exp(sigma Z - sigma^2/2)``.
    """
    k = k.astype(np.float64)
    cv = deal.cv
    skew1 = (cv * cv + 3.0) * cv  # skewness of one lognormal deal
    gamma = skew1 / np.sqrt(k)
    # solve u^3 + 3u = gamma for the lognormal part's coefficient of variation u (Cardano)
    d = np.sqrt(gamma * gamma / 4.0 + 1.0)
    u = np.cbrt(gamma / 2.0 + d) - np.cbrt(d - gamma / 2.0)
    sd_sum = np.sqrt(k) * deal.spread
    scale = sd_sum / u
    shift = k * deal.mean - scale
    sigma = np.sqrt(np.log1p(u * u))
    return shift, scale, sigma


def approximate_deal_sum(k: np.ndarray, z: np.ndarray, deal: DealSize) -> np.ndarray:
    """Sum of ``k`` lognormal deals via the three-moment shifted lognormal, driven by normals ``z``.

    Exact for ``k == 1``; for any k it has the exact mean, variance and skewness of the sum.
    """
    counts = np.asarray(k, dtype=np.int64)
    k = np.maximum(counts, 1)
    lo, hi = int(k.min(initial=1)), int(k.max(initial=1))
    if hi - lo < k.shape[0]:
        # few distinct counts: parameters once per count, then gathered per trial
        shift_r, scale_r, sigma_r = _shifted_lognormal(np.arange(lo, hi + 1), deal)
        idx = k - lo
        sigma = sigma_r[idx]
        out = shift_r[idx] + scale_r[idx] * np.exp(sigma * z - (sigma_r * sigma_r / 2.0)[idx])
    else:
        shift, scale, sigma = _shifted_lognormal(k, deal)
        out = shift + scale * np.exp(sigma * z - sigma * sigma / 2.0)
    if counts.min(initial=1) <= 0:
        out = np.where(counts > 0, out, 0.0)
    return out


def _deal_sums(
    rng: np.random.Generator, k: np.ndarray, deal: DealSize, exact_below: int
) -> np.ndarray:
    """Revenue from ``k`` won deals per trial."""
    if deal.spread == 0:
        return k * deal.mean
    out = np.zeros(k.shape[0])
    small = (k > 0) & (k < exact_below)
    big = k >= exact_below
    if small.any():
        ks = k[small]
        mu, sigma = deal.lognormal_params
        draws = rng.lognormal(mu, sigma, int(ks.sum()))
        ends = np.cumsum(ks)
        csum = np.concatenate([[0.0], np.cumsum(draws)])
        out[small] = csum[ends] - csum[ends - ks]
    if big.any():
        z = rng.standard_normal(int(big.sum()))
        out[big] = approximate_deal_sum(k[big], z, deal)
    return out


# ---------------------------------------------------------------------------------------------
# One block of trials
# ---------------------------------------------------------------------------------------------


def _block_rng(entropy: int, block: int) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy, spawn_key=(block,))
    return np.random.Generator(np.random.PCG64(ss))


def _draw_leads(rng: np.random.Generator, leads: LeadVolume, n: int) -> tuple[np.ndarray, list]:
    """Leads per trial, and per-month leads when the volume is monthly."""
    if leads.kind == "fixed":
        return np.full(n, int(leads.monthly_means[0]), dtype=np.int64), []
    if leads.kind == "poisson":
        return rng.poisson(leads.monthly_means[0], n), []
    per_month = []
    for m, shape in zip(leads.monthly_means, leads._gamma_shapes(), strict=True):
        if math.isinf(shape):
            per_month.append(rng.poisson(m, n))
        else:
            per_month.append(rng.poisson(rng.gamma(shape, m / shape, n)))
    return np.sum(per_month, axis=0), per_month


def _trial_close_probabilities(
    model: FunnelModel, leads: np.ndarray, per_month: list
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Per trial: P(a won deal closes inside / before the quarter), weighting months by the
    trial's own lead volumes (each won deal's month is drawn in proportion to them)."""
    q_in = np.asarray(model.in_quarter_probability)
    q_before = np.asarray(model.before_quarter_probability)
    if not per_month:
        return float(q_in[0]), float(q_before[0])
    n = leads.shape[0]
    w_in = np.sum([q_in[m] * per_month[m] for m in range(len(per_month))], axis=0)
    w_before = np.sum([q_before[m] * per_month[m] for m in range(len(per_month))], axis=0)
    pos = leads > 0
    return (
        np.divide(w_in, leads, out=np.zeros(n), where=pos),
        np.divide(w_before, leads, out=np.zeros(n), where=pos),
    )


def _draw_carry_in(
    rng: np.random.Generator, model: FunnelModel, p_won: float | np.ndarray, n: int
) -> np.ndarray:
    """Deals from the previous and next lead windows (same plan, same true rates as this
    trial) that close inside the quarter: their leads thinned straight to those deals."""
    carried = np.zeros(n, dtype=np.int64)
    for probs in (model.carry_from_previous, model.carry_from_next):
        assert probs is not None
        leads, per_month = _draw_leads(rng, model.leads, n)
        if per_month:
            for m, lm in enumerate(per_month):
                carried += rng.binomial(lm, np.clip(np.multiply(p_won, probs[m]), 0.0, 1.0))
        else:
            carried += rng.binomial(leads, np.clip(np.multiply(p_won, probs[0]), 0.0, 1.0))
    return carried


def simulate_block(
    model: FunnelModel, entropy: int, block: int, n: int, exact_below: int = DEAL_SUM_EXACT_BELOW
) -> dict[str, np.ndarray]:
    """Simulate ``n`` trials on block ``block``'s own stream (the unit of determinism).

    The draw order inside a block is fixed: leads, then per stage a rate (beta draws when
    counts are given) and a binomial, then wins before / inside the quarter, then the
    carried-in deals, then deal sums (inside, after, before).
    """
    rng = _block_rng(entropy, block)
    leads, per_month = _draw_leads(rng, model.leads, n)
    counts = np.empty((len(model.stages), n), dtype=np.int32)
    counts[0] = leads
    current = leads
    p_won: float | np.ndarray = 1.0
    for i, rate in enumerate(model.rates):
        if rate.fixed is not None:
            p: float | np.ndarray = rate.fixed
        else:
            p = rng.beta(1.0 + rate.converted, 1.0 + rate.total - rate.converted, n)
        current = rng.binomial(current, p)
        counts[i + 1] = current
        if model.carry_in:
            p_won = p_won * p
    won = current
    out: dict[str, np.ndarray] = {"counts": counts}
    if model.has_lags:
        q_in, q_before = _trial_close_probabilities(model, leads, per_month)
        if model.lead_window_start < 0:
            won_before = rng.binomial(won, q_before)
            # given it did not close before, P(inside) = q_in / (1 - q_before)
            q_cond = np.divide(
                q_in, 1.0 - np.asarray(q_before), out=np.zeros(n), where=np.asarray(q_before) < 1.0
            )
            won_in = rng.binomial(won - won_before, np.clip(q_cond, 0.0, 1.0))
        else:
            won_before = np.zeros(n, dtype=np.int64)
            won_in = rng.binomial(won, q_in)
        won_after = won - won_in - won_before
        if model.carry_in:
            carried = _draw_carry_in(rng, model, p_won, n)
            out["won_carried_in"] = carried.astype(np.int32)
            won_in = won_in + carried
        out["won_in_quarter"] = won_in.astype(np.int32)
        out["revenue"] = _deal_sums(rng, won_in, model.deal_size, exact_below)
        out["revenue_after"] = _deal_sums(rng, won_after, model.deal_size, exact_below)
        out["revenue_before"] = _deal_sums(rng, won_before, model.deal_size, exact_below)
    else:
        out["revenue"] = _deal_sums(rng, won, model.deal_size, exact_below)
    return out


def run_chunk(
    model: FunnelModel, entropy: int, blocks: Sequence[tuple[int, int]], exact_below: int
) -> dict[str, np.ndarray]:
    """Simulate whole blocks ``(block, n_trials)`` and concatenate them (the dask task)."""
    parts = [simulate_block(model, entropy, b, n, exact_below) for b, n in blocks]
    return {
        "counts": np.concatenate([p["counts"] for p in parts], axis=1),
        **{key: np.concatenate([p[key] for p in parts]) for key in parts[0] if key != "counts"},
    }


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------


def _readonly(a: np.ndarray) -> np.ndarray:
    if a.flags.writeable:
        a.flags.writeable = False
    return a


@dataclass(frozen=True)
class SimulationResult:
    """Per-trial outcomes of :func:`simulate_funnel` (arrays are read-only).

    Attributes
    ----------
    stages : tuple of str
        Stage names, top to bottom.
    stage_counts : ndarray of int32, shape (n_stages, trials)
        Volume reaching each stage per trial (row 0 = leads, last row = won). Use
        :meth:`counts` to get one stage by name.
    won : ndarray of int32
        Won deals per trial (whenever they close).
    won_in_quarter : ndarray of int32
        Won deals that close inside the quarter (same as ``won`` without lags), including
        those carried in from neighbouring lead windows when ``carry_in`` is on.
    won_carried_in : ndarray of int32
        Of those, deals from the previous and next quarters' leads (zeros unless
        ``carry_in``).
    revenue : ndarray of float64
        Revenue that counts toward the quarter's target (in-quarter wins only when lags are
        given; all wins otherwise). :meth:`p_hit` and :meth:`quantiles` use this.
    revenue_after : ndarray of float64
        Revenue from these leads that closes after the quarter (zeros without lags).
    revenue_before : ndarray of float64
        Revenue from these leads that closes before the quarter starts (only when the lead
        window opens before the quarter; zeros otherwise).
    trials : int
    seed : int
        Root entropy of the ``SeedSequence``: passing it back as ``seed=`` reproduces the run.
    model : FunnelModel
        The validated inputs.
    """

    stages: tuple[str, ...]
    stage_counts: np.ndarray
    won_in_quarter: np.ndarray
    won_carried_in: np.ndarray
    revenue: np.ndarray
    revenue_after: np.ndarray
    revenue_before: np.ndarray
    trials: int
    seed: int
    model: FunnelModel = field(repr=False)

    @property
    def won(self) -> np.ndarray:
        """Won deals per trial (the last row of ``stage_counts``)."""
        return self.stage_counts[-1]

    @property
    def leads(self) -> np.ndarray:
        """Leads per trial (the first row of ``stage_counts``)."""
        return self.stage_counts[0]

    @property
    def revenue_total(self) -> np.ndarray:
        """Revenue from these leads whenever it closes (before, in and after the quarter)."""
        return self.revenue + self.revenue_after + self.revenue_before

    @property
    def has_lags(self) -> bool:
        return self.model.has_lags

    def counts(self, stage: str) -> np.ndarray:
        """Volume reaching ``stage`` in each trial."""
        try:
            return self.stage_counts[self.stages.index(stage)]
        except ValueError:
            raise InputError(f"stage '{stage}' is not one of {list(self.stages)}") from None

    def p_hit(self, target: float) -> float:
        """P(revenue >= target): the share of trials whose in-quarter revenue reaches it."""
        return float(np.count_nonzero(self.revenue >= target) / self.trials)

    def p_hit_se(self, target: float) -> float:
        """Monte Carlo standard error of :meth:`p_hit`."""
        p = self.p_hit(target)
        return math.sqrt(p * (1.0 - p) / self.trials)

    def quantiles(
        self, q: Sequence[float] = (0.1, 0.5, 0.9), of: str = "revenue"
    ) -> dict[str, float]:
        """Quantiles (default P10/P50/P90) of ``revenue`` or another per-trial attribute or stage.

        Returns
        -------
        dict
            ``{"P10": ..., "P50": ..., "P90": ...}``.
        """
        values = self._values(of)
        qs = np.quantile(values, q)
        return {f"P{round(100 * x):d}": float(v) for x, v in zip(q, qs, strict=True)}

    def _values(self, of: str) -> np.ndarray:
        if of in self.stages:
            return self.counts(of)
        if of in {
            "revenue",
            "revenue_after",
            "revenue_before",
            "revenue_total",
            "won",
            "won_in_quarter",
            "won_carried_in",
            "leads",
        }:
            return getattr(self, of)
        raise InputError(f"quantiles of '{of}': not a stage or a per-trial result")

    def summary(self, target: float | None = None) -> pd.DataFrame:
        """Mean, sd and P10/P50/P90 of every stage volume and of revenue, one row each.

        With ``target``, adds a row-independent ``p_hit`` attribute in ``df.attrs``.
        """
        rows = list(self.stages)
        names = ["revenue"]
        if self.has_lags:
            names = ["won_in_quarter", "revenue", "revenue_after"]
            if self.model.carry_in:
                names.insert(1, "won_carried_in")
            if self.model.lead_window_start < 0:
                names.append("revenue_before")
        records = []
        for name in rows + names:
            v = self._values(name)
            p10, p50, p90 = np.quantile(v, (0.1, 0.5, 0.9))
            records.append(
                {
                    "metric": name,
                    "mean": float(np.mean(v, dtype=np.float64)),
                    "sd": float(np.std(v, dtype=np.float64)),
                    "P10": float(p10),
                    "P50": float(p50),
                    "P90": float(p90),
                }
            )
        df = pd.DataFrame.from_records(records).set_index("metric")
        if target is not None:
            df.attrs["p_hit"] = self.p_hit(target)
            df.attrs["target"] = float(target)
        return df

    def to_frame(self) -> pd.DataFrame:
        """Alias of :meth:`summary` (the table that fits in a report)."""
        return self.summary()

    def to_dict(self, target: float | None = None) -> dict[str, Any]:
        """JSON-ready summary: trials, seed, quantiles, means, and P(hit) when a target is given."""
        d: dict[str, Any] = {
            "trials": self.trials,
            "seed": self.seed,
            "stages": list(self.stages),
            "revenue_quantiles": self.quantiles(),
            "revenue_mean": float(self.revenue.mean()),
            "won_mean": float(self.won.mean()),
            "stage_means": {s: float(self.counts(s).mean()) for s in self.stages},
        }
        if self.has_lags:
            d["revenue_after_mean"] = float(self.revenue_after.mean())
            d["revenue_before_mean"] = float(self.revenue_before.mean())
            d["won_in_quarter_mean"] = float(self.won_in_quarter.mean())
            d["won_carried_in_mean"] = float(self.won_carried_in.mean())
        if target is not None:
            d["target"] = float(target)
            d["p_hit"] = self.p_hit(target)
            d["p_hit_se"] = self.p_hit_se(target)
        return d


# ---------------------------------------------------------------------------------------------
# simulate_funnel
# ---------------------------------------------------------------------------------------------


def _root_entropy(seed: int | None, rng: np.random.Generator | None) -> int:
    if seed is not None and rng is not None:
        raise InputError("give either seed or rng, not both")
    if rng is not None:
        return int(rng.integers(0, 2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed: {seed!r} must be a whole number >= 0")
    return int(seed)


def _check_trials(trials: Any) -> int:
    if isinstance(trials, bool) or not isinstance(trials, int | np.integer) or trials <= 0:
        raise InputError(f"trials: {trials!r} must be a whole number > 0")
    return int(trials)


def _model_trials_entropy(
    trials: Any, seed: int | None, rng: np.random.Generator | None, **funnel: Any
) -> tuple[FunnelModel, int, int]:
    """The checked inputs every public entry point starts from.

    ``funnel`` holds :func:`build_model`'s keyword arguments. Trials are checked first, then
    the funnel, then seed/rng, so every entry point reports the same error for the same bad
    input.
    """
    n = _check_trials(trials)
    model = build_model(**funnel)
    return model, n, _root_entropy(seed, rng)


def _blocks(trials: int) -> list[tuple[int, int]]:
    n_blocks = -(-trials // BLOCK_TRIALS)
    return [(b, min(BLOCK_TRIALS, trials - b * BLOCK_TRIALS)) for b in range(n_blocks)]


def _chunks(blocks: list[tuple[int, int]], chunk_size: int | None) -> list[list[tuple[int, int]]]:
    per = 1 if chunk_size is None else max(1, -(-int(chunk_size) // BLOCK_TRIALS))
    return [blocks[i : i + per] for i in range(0, len(blocks), per)]


def simulate_funnel(
    *,
    leads: int | LeadVolume,
    stages: Sequence[str],
    rates: Sequence[float | tuple[int, int]],
    deal_size: float | tuple[float, float] | DealSize,
    trials: int = 100_000,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float = 0.0,
    carry_in: bool = False,
    chunk_size: int | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
    exact_deal_sums_below: int | None = None,
) -> SimulationResult:
    """Simulate ``trials`` quarters of the funnel.

    Parameters
    ----------
    leads : int or LeadVolume
        Leads entering the top stage: a fixed number, ``LeadVolume.poisson(mean)`` or
        ``LeadVolume.monthly(volumes, spread)``.
    stages : sequence of str
        Stage names, top to bottom (e.g. lead, mql, sal, sql, opportunity, won).
    rates : sequence
        One per transition (``len(stages) - 1``), from the top: a rate in (0, 1], or
        ``(converted, total)`` historical counts read as a Beta(1 + converted,
        1 + total - converted) posterior, drawn afresh in each trial. Objects with
        ``.converted/.total`` or a params ``RateSpec`` are accepted too.
    deal_size : float, (mean, spread) or DealSize
        A fixed amount, or a lognormal with this mean and standard deviation.
    trials : int
        Number of simulated quarters (> 0).
    seed : int, optional
        Root of the ``SeedSequence``; the same seed gives the same numbers whatever
        ``chunk_size``, ``workers``, ``client`` or ``scheduler``. Without ``seed`` and
        ``rng`` fresh entropy is used and recorded in ``result.seed``.
    rng : numpy.random.Generator, optional
        Alternative to ``seed``: one integer is drawn from it to seed the run.
    lags : sequence or mapping, optional
        Days from entering each stage to entering the next, per transition (a mapping keyed
        by from-stage, or a sequence): ``(typical, spread)`` pairs, ``Lag`` objects, or
        objects with ``.typical/.spread``. Each lag is gamma with that mean and sd (spread 0
        = exactly ``typical`` days). With lags, only deals closing inside the quarter count
        toward ``revenue``; the rest go to ``revenue_after``.
    quarter_days : float, optional
        Length of the quarter in days (default 91 when lags are given). Leads arrive
        uniformly over a window of this length, or uniformly within their month (equal
        thirds) for monthly volumes.
    lead_window_start : float
        Day, relative to the quarter's first day, the lead arrival window opens (default 0:
        leads arrive during the quarter). A negative value models the leads planned ahead of
        the quarter so that their deals close inside it (``simulate_from_params`` uses minus
        the typical lead-to-won lag, as the monthly plan does); deals closing before day 0 go
        to ``revenue_before``.
    carry_in : bool
        Steady state (``simulate_from_params`` turns it on): the quarters before and after
        run the same plan, and their leads' deals that close inside this quarter count toward
        it (``won_carried_in``; drawn with the trial's own rates, from the adjacent windows
        only). Without it, only this window's leads can book revenue, so slipping deals are
        pure loss and P(hit) is understated whenever deals straddle quarter ends.
    chunk_size : int, optional
        Trials per unit of work, rounded up to whole blocks of ``BLOCK_TRIALS``; does not
        change the numbers.
    workers : int, optional
        Threads for local runs (default ``os.cpu_count()``); does not change the numbers.
    client : distributed.Client, optional
        Run the chunks on this dask cluster instead of local threads.
    scheduler : str, optional
        Address of a dask scheduler (``tcp://host:8786``); a client is opened and closed.
    progress : callable, optional
        Called with the number of trials finished after each chunk (e.g. ``tqdm.update``).
    exact_deal_sums_below : int, optional
        Won-deal counts below this get exact sums of lognormal deals; at or above it the
        three-moment shifted-lognormal approximation. Default
        ``DealSize.exact_sum_below`` (16 for realistic spreads); a huge value makes every
        sum exact.

    Returns
    -------
    SimulationResult

    Raises
    ------
    InputError
        For bad rates or counts (naming the stage and the value), zero or negative trials,
        negative leads, a non-positive deal size, or lags that do not match the stages.

    Notes
    -----
    Zero leads are a neutral input: every trial has zero wins and zero revenue.
    """
    model, n, entropy = _model_trials_entropy(
        trials,
        seed,
        rng,
        leads=leads,
        stages=stages,
        rates=rates,
        deal_size=deal_size,
        lags=lags,
        quarter_days=quarter_days,
        lead_window_start=lead_window_start,
        carry_in=carry_in,
    )
    return _run(
        model,
        n,
        entropy,
        chunk_size=chunk_size,
        workers=workers,
        client=client,
        scheduler=scheduler,
        progress=progress,
        exact_below=(
            model.deal_size.exact_sum_below
            if exact_deal_sums_below is None
            else int(exact_deal_sums_below)
        ),
    )


def _run(
    model: FunnelModel,
    trials: int,
    entropy: int,
    *,
    chunk_size: int | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
    exact_below: int = DEAL_SUM_EXACT_BELOW,
) -> SimulationResult:
    chunks = _chunks(_blocks(trials), chunk_size)
    n_stages = len(model.stages)
    counts = np.empty((n_stages, trials), dtype=np.int32)
    revenue = np.empty(trials, dtype=np.float64)
    zeros = np.broadcast_to(np.float64(0.0), (trials,))
    won_in = counts[-1]
    carried = np.broadcast_to(np.int32(0), (trials,))
    revenue_after = revenue_before = zeros
    if model.has_lags:
        won_in = np.empty(trials, dtype=np.int32)
        revenue_after = np.empty(trials, dtype=np.float64)
        if model.lead_window_start < 0:
            revenue_before = np.empty(trials, dtype=np.float64)
        if model.carry_in:
            carried = np.empty(trials, dtype=np.int32)
    lock = threading.Lock()

    def store(chunk: list[tuple[int, int]], part: dict[str, np.ndarray]) -> None:
        start = chunk[0][0] * BLOCK_TRIALS
        stop = start + sum(nb for _, nb in chunk)
        counts[:, start:stop] = part["counts"]
        revenue[start:stop] = part["revenue"]
        if model.has_lags:
            won_in[start:stop] = part["won_in_quarter"]
            revenue_after[start:stop] = part["revenue_after"]
            if model.lead_window_start < 0:
                revenue_before[start:stop] = part["revenue_before"]
            if model.carry_in:
                carried[start:stop] = part["won_carried_in"]
        if progress is not None:
            with lock:
                progress(stop - start)

    if client is not None or scheduler is not None:
        _run_dask(model, entropy, chunks, exact_below, client, scheduler, store)
    else:
        n_workers = (os.cpu_count() or 1) if workers is None else int(workers)
        if n_workers < 1:
            raise InputError(f"workers: {workers!r} must be >= 1")
        if n_workers == 1 or len(chunks) == 1:
            for chunk in chunks:
                store(chunk, run_chunk(model, entropy, chunk, exact_below))
        else:
            with ThreadPoolExecutor(max_workers=n_workers) as pool:
                futures = {
                    pool.submit(run_chunk, model, entropy, chunk, exact_below): chunk
                    for chunk in chunks
                }
                for fut in as_completed(futures):
                    store(futures[fut], fut.result())

    return SimulationResult(
        stages=model.stages,
        stage_counts=_readonly(counts),
        won_in_quarter=_readonly(won_in),
        won_carried_in=_readonly(carried),
        revenue=_readonly(revenue),
        revenue_after=_readonly(revenue_after),
        revenue_before=_readonly(revenue_before),
        trials=trials,
        seed=entropy,
        model=model,
    )


def _run_dask(model, entropy, chunks, exact_below, client, scheduler, store) -> None:
    """Submit one task per chunk to a dask.distributed cluster; store results as they arrive."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise InputError(f"dask.distributed is needed for a cluster run: {exc}") from None
    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(f"scheduler {scheduler!r}: cannot connect ({exc})") from None
    try:
        model_future = client.scatter(model, broadcast=True)
        futures = [
            client.submit(run_chunk, model_future, entropy, chunk, exact_below, pure=True)
            for chunk in chunks
        ]
        index = {f.key: chunk for f, chunk in zip(futures, chunks, strict=True)}
        for fut in dask_as_completed(futures):
            store(index[fut.key], fut.result())
            fut.release()
    finally:
        if own:
            client.close()


# ---------------------------------------------------------------------------------------------
# Common random numbers: the same uniforms for every candidate lead volume or input swing
# ---------------------------------------------------------------------------------------------


def _uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    # inverse CDFs need u strictly inside (0, 1)
    u = rng.random(n)
    u[u == 0.0] = 2.0**-54
    return u


@dataclass(frozen=True)
class CommonRandomNumbers:
    """Per-trial random inputs held fixed while the lead volume or one input moves.

    Each trial keeps its rate draws, its lead-volume noise, and uniforms that are turned into
    wins, in-quarter wins and revenue by inverse CDFs. Wins are then non-decreasing in the
    lead volume and in every rate, so P(hit) is a monotone, smooth function of them and a
    search over the lead volume is stable (no Monte Carlo noise between candidates).

    Distributionally it is the model of :func:`simulate_funnel`: ``Poisson(mean)`` leads
    thinned by the trial's rates give ``Poisson(mean x product of rates)`` wins;
    gamma-Poisson monthly volumes give ``Poisson(sum of mean_m G_m x product of rates)``;
    fixed leads give ``Binomial(leads, product of rates)``; deals carried in from the
    neighbouring windows likewise, with their own lead noise and uniforms (``carry_in``).
    Revenue from ``k`` wins is an
    exact running sum of lognormal deals for ``k < DealSize.exact_sum_below`` (at most 128
    deals kept per trial) and, above, that running sum plus the shifted-lognormal
    approximation for the remaining deals.
    """

    model: FunnelModel
    rate_draws: np.ndarray  # (n_rates, trials)
    month_noise: np.ndarray | None  # (months, trials), mean 1, monthly volumes only
    u_won: np.ndarray
    u_before: np.ndarray
    u_quarter: np.ndarray
    deal_path: np.ndarray | None  # (trials, K - 1): running sums of exact deals
    z_deal: np.ndarray | None
    trials: int
    seed: int
    u_carry: np.ndarray | None = None  # (2, trials): previous and next windows
    carry_noise: np.ndarray | None = None  # (2, months, trials): monthly volumes only

    @classmethod
    def draw(
        cls,
        model: FunnelModel,
        trials: int,
        entropy: int,
        exact_below: int | None = None,
    ) -> CommonRandomNumbers:
        """Draw the fixed per-trial inputs, block by block as :func:`simulate_funnel` does."""
        parts: dict[str, list[np.ndarray]] = {}
        if exact_below is None:
            exact_below = model.deal_size.exact_sum_below
        k_path = max(1, min(exact_below - 1, _CRN_MAX_PATH))
        lognormal = model.deal_size.spread > 0
        for block, n in _blocks(trials):
            # a different spawn key from simulate_funnel's blocks: an independent stream
            rng = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(1, block)))
            )
            rates = np.empty((len(model.rates), n))
            for i, rate in enumerate(model.rates):
                if rate.fixed is not None:
                    rates[i] = rate.fixed
                else:
                    rates[i] = rng.beta(1.0 + rate.converted, 1.0 + rate.total - rate.converted, n)
            parts.setdefault("rates", []).append(rates)
            if model.leads.kind == "monthly":
                noise = np.ones((len(model.leads.monthly_means), n))
                for m, shape in enumerate(model.leads._gamma_shapes()):
                    if not math.isinf(shape):
                        noise[m] = rng.gamma(shape, 1.0 / shape, n)
                parts.setdefault("noise", []).append(noise)
            parts.setdefault("u_won", []).append(_uniform(rng, n))
            parts.setdefault("u_before", []).append(_uniform(rng, n))
            parts.setdefault("u_quarter", []).append(_uniform(rng, n))
            if lognormal:
                mu, sigma = model.deal_size.lognormal_params
                path = np.cumsum(rng.lognormal(mu, sigma, (n, k_path)), axis=1)
                parts.setdefault("path", []).append(path)
                parts.setdefault("z", []).append(rng.standard_normal(n))
            if model.carry_in:
                parts.setdefault("u_carry", []).append(np.stack([_uniform(rng, n) for _ in "pn"]))
                if model.leads.kind == "monthly":
                    noise = np.ones((2, len(model.leads.monthly_means), n))
                    for w in range(2):
                        for m, shape in enumerate(model.leads._gamma_shapes()):
                            if not math.isinf(shape):
                                noise[w, m] = rng.gamma(shape, 1.0 / shape, n)
                    parts.setdefault("carry_noise", []).append(noise)
        return cls(
            model=model,
            rate_draws=np.concatenate(parts["rates"], axis=1),
            month_noise=np.concatenate(parts["noise"], axis=1) if "noise" in parts else None,
            u_won=np.concatenate(parts["u_won"]),
            u_before=np.concatenate(parts["u_before"]),
            u_quarter=np.concatenate(parts["u_quarter"]),
            deal_path=np.concatenate(parts["path"]) if lognormal else None,
            z_deal=np.concatenate(parts["z"]) if lognormal else None,
            trials=trials,
            seed=entropy,
            u_carry=np.concatenate(parts["u_carry"], axis=1) if "u_carry" in parts else None,
            carry_noise=(
                np.concatenate(parts["carry_noise"], axis=2) if "carry_noise" in parts else None
            ),
        )

    def _revenue_from_wins(self, k: np.ndarray) -> np.ndarray:
        deal = self.model.deal_size
        if self.deal_path is None:
            return k * deal.mean
        k_path = self.deal_path.shape[1]
        out = np.zeros(k.shape[0])
        small = (k > 0) & (k <= k_path)
        rows = np.nonzero(small)[0]
        out[small] = self.deal_path[rows, k[small] - 1]
        big = k > k_path
        if big.any():
            assert self.z_deal is not None
            out[big] = self.deal_path[big, -1] + approximate_deal_sum(
                k[big] - k_path, self.z_deal[big], deal
            )
        return out

    def wins(
        self,
        lead_mean: float,
        rate_factors: Sequence[float] | None = None,
        rate_values: Mapping[int, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Won deals per trial, and those closing inside the quarter, for this lead volume.

        ``rate_factors`` multiply each transition's rate draws; ``rate_values`` pin
        transition ``i``'s rate to a value in every trial.
        """
        from scipy import stats

        rates = self.rate_draws
        if rate_factors is not None:
            rates = np.clip(rates * np.asarray(rate_factors, dtype=float)[:, None], 0.0, 1.0)
        if rate_values:
            rates = rates.copy()
            for i, value in rate_values.items():
                rates[i] = value
        p_won = np.prod(rates, axis=0)
        leads = self.model.leads
        if leads.kind == "fixed":
            won = stats.binom.ppf(self.u_won, int(round(lead_mean)), p_won)
            weights = None
        elif leads.kind == "poisson":
            won = stats.poisson.ppf(self.u_won, lead_mean * p_won)
            weights = None
        else:
            assert self.month_noise is not None
            shares = np.asarray(leads.monthly_means) / leads.mean
            weights = shares[:, None] * self.month_noise  # expected leads per month / mean
            won = stats.poisson.ppf(self.u_won, lead_mean * weights.sum(axis=0) * p_won)
        won = won.astype(np.int64)
        if not self.model.has_lags:
            return won, won
        q_in = np.asarray(self.model.in_quarter_probability)
        q_before = np.asarray(self.model.before_quarter_probability)
        if weights is not None:
            total = weights.sum(axis=0)
            q_in = (q_in[:, None] * weights).sum(axis=0) / total
            q_before = (q_before[:, None] * weights).sum(axis=0) / total
        else:
            q_in, q_before = float(q_in[0]), float(q_before[0])
        # deals that close before the quarter are taken out first, then the rest split
        won_before = stats.binom.ppf(self.u_before, won, q_before).astype(np.int64)
        q_cond = np.clip(np.divide(q_in, np.maximum(1.0 - np.asarray(q_before), 1e-300)), 0, 1)
        won_in = stats.binom.ppf(self.u_quarter, won - won_before, q_cond).astype(np.int64)
        if self.model.carry_in:
            assert self.u_carry is not None
            windows = (self.model.carry_from_previous, self.model.carry_from_next)
            for w, probs in enumerate(windows):
                probs_a = np.asarray(probs)
                if leads.kind == "fixed":
                    c = stats.binom.ppf(self.u_carry[w], int(round(lead_mean)), p_won * probs_a[0])
                elif leads.kind == "poisson":
                    c = stats.poisson.ppf(self.u_carry[w], lead_mean * p_won * probs_a[0])
                else:
                    assert self.carry_noise is not None
                    shares = np.asarray(leads.monthly_means) / leads.mean
                    lam = (shares[:, None] * self.carry_noise[w] * probs_a[:, None]).sum(axis=0)
                    c = stats.poisson.ppf(self.u_carry[w], lead_mean * p_won * lam)
                won_in = won_in + c.astype(np.int64)
        return won, won_in

    def revenue(
        self,
        lead_mean: float,
        rate_factors: Sequence[float] | None = None,
        deal_factor: float = 1.0,
        rate_values: Mapping[int, float] | None = None,
    ) -> np.ndarray:
        """In-quarter revenue per trial for this lead volume (and swung inputs)."""
        _, won_in = self.wins(lead_mean, rate_factors, rate_values)
        return deal_factor * self._revenue_from_wins(won_in)

    def p_hit(
        self,
        target: float,
        lead_mean: float,
        rate_factors: Sequence[float] | None = None,
        deal_factor: float = 1.0,
        rate_values: Mapping[int, float] | None = None,
    ) -> float:
        """P(in-quarter revenue >= target) on these common random numbers."""
        if lead_mean <= 0:
            return 1.0 if target <= 0 else 0.0
        rev = self.revenue(lead_mean, rate_factors, deal_factor, rate_values)
        return float(np.count_nonzero(rev >= target) / self.trials)


# ---------------------------------------------------------------------------------------------
# A plan sized for confidence
# ---------------------------------------------------------------------------------------------


def _point_plan(
    target: float, model: FunnelModel, point_rates: Sequence[float] | None
) -> tuple[dict[str, float], list[float]]:
    """The reverse funnel's required volume per stage at point rates."""
    rates = list(point_rates) if point_rates is not None else [r.point for r in model.rates]
    if len(rates) != len(model.rates):
        raise InputError(f"point_rates: {len(rates)} rates for {len(model.rates)} transitions")
    from alignlib.planning import reverse_funnel

    plan = reverse_funnel(target, model.deal_size.mean, model.stages, rates)
    return dict(zip(model.stages, (float(x) for x in plan.required), strict=True)), rates


@dataclass(frozen=True)
class ConfidencePlan:
    """The smallest lead volume that hits the target with the chosen confidence.

    Attributes
    ----------
    target, confidence : float
        The bookings target and the required P(revenue >= target).
    leads : int
        Expected leads to plan for (the mean of the lead volume distribution).
    p_hit : float
        P(hit) at ``leads`` on the common random numbers (>= confidence).
    stage_volumes : dict
        Expected volume per stage under ``leads`` (leads x posterior-mean rates).
    point_leads : float
        Leads from the point-estimate reverse funnel (:func:`alignlib.planning.reverse_funnel`).
    point_stage_volumes : dict
        The reverse funnel's required volume per stage.
    point_p_hit : float
        P(hit) if you plan the point-estimate volume instead: usually well below confidence.
    trials, seed : int
        Common random numbers used (``seed`` reproduces them).
    """

    target: float
    confidence: float
    leads: int
    p_hit: float
    stage_volumes: dict[str, float]
    point_leads: float
    point_stage_volumes: dict[str, float]
    point_p_hit: float
    trials: int
    seed: int

    @property
    def extra_leads(self) -> float:
        """Leads the confidence-sized plan adds over the point plan."""
        return self.leads - self.point_leads

    def to_frame(self) -> pd.DataFrame:
        """Per stage: the point plan, the confidence-sized plan and the difference."""
        stages = list(self.stage_volumes)
        df = pd.DataFrame(
            {
                "point_plan": [self.point_stage_volumes[s] for s in stages],
                "confidence_plan": [self.stage_volumes[s] for s in stages],
            },
            index=pd.Index(stages, name="stage"),
        )
        df["difference"] = df["confidence_plan"] - df["point_plan"]
        df.attrs.update(
            {"p_hit": self.p_hit, "point_p_hit": self.point_p_hit, "confidence": self.confidence}
        )
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target": self.target,
            "confidence": self.confidence,
            "leads": self.leads,
            "p_hit": self.p_hit,
            "stage_volumes": dict(self.stage_volumes),
            "point_leads": self.point_leads,
            "point_stage_volumes": dict(self.point_stage_volumes),
            "point_p_hit": self.point_p_hit,
            "trials": self.trials,
            "seed": self.seed,
        }


def plan_for_confidence(
    *,
    target: float,
    confidence: float = 0.8,
    leads: int | LeadVolume | None = None,
    stages: Sequence[str],
    rates: Sequence[float | tuple[int, int]],
    deal_size: float | tuple[float, float] | DealSize,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float = 0.0,
    carry_in: bool = False,
    trials: int = 20_000,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    point_rates: Sequence[float] | None = None,
    max_leads: int = _MAX_COUNT,
) -> ConfidencePlan:
    """Smallest lead volume with P(revenue >= target) >= confidence, beside the point plan.

    The search holds the per-trial randomness fixed (:class:`CommonRandomNumbers`) and
    varies only the expected lead volume: P(hit) is then non-decreasing in it, and the
    answer is found by doubling from the point-estimate plan and bisecting on integers.

    Parameters
    ----------
    target : float
        Bookings target for the quarter.
    confidence : float
        Required P(hit), in (0, 1).
    leads : int or LeadVolume, optional
        Only the *shape* of the lead volume is used (fixed, Poisson, or monthly with its
        phasing and relative spread); its size is what is searched. Default: fixed.
    stages, rates, deal_size, lags, quarter_days, lead_window_start, carry_in
        As in :func:`simulate_funnel`.
    trials : int
        Common random numbers drawn (the Monte Carlo error of P(hit) is about
        ``sqrt(c (1 - c) / trials)``).
    seed, rng
        As in :func:`simulate_funnel`.
    point_rates : sequence of float, optional
        Rates for the point-estimate plan (default: the rate, or converted / total).
    max_leads : int
        Give up above this volume.

    Returns
    -------
    ConfidencePlan

    Raises
    ------
    InputError
        Confidence outside (0, 1), a non-positive target, bad funnel inputs, or no volume
        up to ``max_leads`` reaching the confidence.
    """
    c = _check_nonnegative(confidence, "confidence")
    if not (0.0 < c < 1.0):
        raise InputError(f"confidence: {confidence!r} must be between 0 and 1 (e.g. 0.8)")
    if not (math.isfinite(float(target)) and float(target) > 0):
        raise InputError(f"target: {target!r} must be a positive amount")
    shape = LeadVolume.fixed(0) if leads is None else _parse_leads(leads)
    model, n, entropy = _model_trials_entropy(
        trials,
        seed,
        rng,
        leads=shape,
        stages=stages,
        rates=rates,
        deal_size=deal_size,
        lags=lags,
        quarter_days=quarter_days,
        lead_window_start=lead_window_start,
        carry_in=carry_in,
    )
    crn = CommonRandomNumbers.draw(model, n, entropy)
    point_volumes, _ = _point_plan(float(target), model, point_rates)
    point_leads = point_volumes[model.stages[0]]

    def p_at(n: int) -> float:
        return crn.p_hit(target, n)

    lo, hi = 0, max(1, int(math.ceil(point_leads)))
    p_hi = p_at(hi)
    while p_hi < c:
        lo = hi
        if hi >= max_leads:
            raise InputError(
                f"no lead volume up to {max_leads:,} reaches P(hit) >= {c:.0%} for target "
                f"{float(target):,.0f} (P(hit) = {p_hi:.1%} at {hi:,} leads)"
            )
        hi = min(2 * hi, max_leads)
        p_hi = p_at(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        p_mid = p_at(mid)
        if p_mid >= c:
            hi, p_hi = mid, p_mid
        else:
            lo = mid
    mean_rates = [r.mean for r in model.rates]
    volumes = np.concatenate([[1.0], np.cumprod(mean_rates)]) * hi
    return ConfidencePlan(
        target=float(target),
        confidence=c,
        leads=int(hi),
        p_hit=p_hi,
        stage_volumes=dict(zip(model.stages, (float(v) for v in volumes), strict=True)),
        point_leads=point_leads,
        point_stage_volumes=point_volumes,
        point_p_hit=p_at(int(math.ceil(point_leads))),
        trials=crn.trials,
        seed=crn.seed,
    )


# ---------------------------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------------------------


_SENSITIVITY_COLUMNS = (
    "kind",
    "stage",
    "low_value",
    "base_value",
    "high_value",
    "how",
    "p_hit_low",
    "p_hit_base",
    "p_hit_high",
    "effect",
)


@dataclass(frozen=True)
class SensitivityResult:
    """How P(hit) moves when each input moves to a low and a high value.

    Attributes
    ----------
    target : float
    base_p_hit : float
        P(hit) with every input at its base value.
    swing : float
        Relative move of lead volume, deal size and fixed rates (0.1 = -10% / +10%).
    method : {"posterior", "relative"}
        How rates given as counts move (see :func:`sensitivity`).
    rows : tuple of dict
        One per input: ``input`` (label), ``kind`` (conversion_rate, lead_volume,
        deal_size), ``stage`` (from-stage for rates), ``low_value``, ``base_value``,
        ``high_value`` (the input's mean at each setting), ``how`` (what low/high mean),
        ``p_hit_low``, ``p_hit_base``, ``p_hit_high``, ``effect`` (p_hit_high - p_hit_low).
        Sorted by effect, largest first.
    trials, seed : int
    """

    target: float
    base_p_hit: float
    swing: float
    method: str
    rows: tuple[dict[str, Any], ...]
    trials: int
    seed: int

    def to_frame(self) -> pd.DataFrame:
        """The sensitivity table, indexed by input, largest effect first.

        Columns come in one order whatever input ranks first: ``kind``, ``stage``,
        ``low_value``, ``base_value``, ``high_value``, ``how``, ``p_hit_low``,
        ``p_hit_base``, ``p_hit_high``, ``effect`` (then anything else a row carries).
        """
        df = pd.DataFrame.from_records(list(self.rows)).set_index("input")
        first = [c for c in _SENSITIVITY_COLUMNS if c in df.columns]
        df = df[first + [c for c in df.columns if c not in first]]
        df.attrs.update({"base_p_hit": self.base_p_hit, "swing": self.swing})
        return df

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target": self.target,
            "base_p_hit": self.base_p_hit,
            "swing": self.swing,
            "method": self.method,
            "rows": [dict(r) for r in self.rows],
            "trials": self.trials,
            "seed": self.seed,
        }


def sensitivity(
    *,
    target: float,
    leads: int | LeadVolume,
    stages: Sequence[str],
    rates: Sequence[float | tuple[int, int]],
    deal_size: float | tuple[float, float] | DealSize,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float = 0.0,
    carry_in: bool = False,
    swing: float = 0.1,
    method: str = "posterior",
    trials: int = 20_000,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> SensitivityResult:
    """Change in P(hit) when each conversion rate, the lead volume and the deal size move
    to a low and a high value, on common random numbers.

    * A rate given as counts, with ``method="posterior"`` (default): pinned to the P10 and
      then the P90 of its Beta posterior in every trial (the other rates keep varying). This
      ranks stages by how much their *uncertainty* puts the target at risk: a rate measured
      on few deals moves P(hit) more than one measured on thousands.
    * A rate given as counts with ``method="relative"``, and every fixed rate: each trial's
      rate multiplied by ``1 - swing`` / ``1 + swing`` (capped at 1). Relative moves of
      rates all change the product of rates alike, so they rank equal by construction.
    * Lead volume: the expected volume times ``1 -/+ swing``; deal size: every amount times
      ``1 -/+ swing``.

    The same per-trial randomness is used for every setting, so the differences carry no
    Monte Carlo noise from re-drawing.

    Parameters
    ----------
    target : float
    leads, stages, rates, deal_size, lags, quarter_days, lead_window_start, carry_in
        As in :func:`simulate_funnel`.
    swing : float
        Relative move, in (0, 1).
    method : {"posterior", "relative"}
        How rates given as counts move.
    trials, seed, rng
        Common random numbers, as in :func:`plan_for_confidence`.

    Returns
    -------
    SensitivityResult
    """
    s = _check_nonnegative(swing, "swing")
    if not (0.0 < s < 1.0):
        raise InputError(f"swing: {swing!r} must be between 0 and 1 (0.1 = ±10%)")
    if method not in ("posterior", "relative"):
        raise InputError(f"method: {method!r} must be 'posterior' or 'relative'")
    model, n, entropy = _model_trials_entropy(
        trials,
        seed,
        rng,
        leads=leads,
        stages=stages,
        rates=rates,
        deal_size=deal_size,
        lags=lags,
        quarter_days=quarter_days,
        lead_window_start=lead_window_start,
        carry_in=carry_in,
    )
    crn = CommonRandomNumbers.draw(model, n, entropy)
    base_leads = model.leads.mean
    base = crn.p_hit(target, base_leads)
    rows = []
    n_rates = len(model.rates)
    from scipy import stats

    for i, rate in enumerate(model.rates):
        row = {
            "input": f"conversion {model.transitions[i]}",
            "kind": "conversion_rate",
            "stage": rate.stage,
            "base_value": rate.mean,
        }
        if rate.fixed is None and method == "posterior":
            a, b = 1.0 + rate.converted, 1.0 + rate.total - rate.converted
            lo_v, hi_v = (float(x) for x in stats.beta.ppf([0.1, 0.9], a, b))
            row |= {
                "low_value": lo_v,
                "high_value": hi_v,
                "how": f"posterior P10/P90 ({rate.converted:,} of {rate.total:,})",
                "p_hit_low": crn.p_hit(target, base_leads, rate_values={i: lo_v}),
                "p_hit_high": crn.p_hit(target, base_leads, rate_values={i: hi_v}),
            }
        else:
            factors = []
            for f in (1.0 - s, 1.0 + s):
                fac = np.ones(n_rates)
                fac[i] = f
                factors.append(fac)
            row |= {
                "low_value": float(np.clip(crn.rate_draws[i] * (1 - s), 0, 1).mean()),
                "high_value": float(np.clip(crn.rate_draws[i] * (1 + s), 0, 1).mean()),
                "how": f"-/+{s:.0%} relative",
                "p_hit_low": crn.p_hit(target, base_leads, factors[0]),
                "p_hit_high": crn.p_hit(target, base_leads, factors[1]),
            }
        rows.append(row)
    rows.append(
        {
            "input": "lead volume",
            "kind": "lead_volume",
            "stage": model.stages[0],
            "low_value": base_leads * (1 - s),
            "base_value": base_leads,
            "high_value": base_leads * (1 + s),
            "how": f"-/+{s:.0%} relative",
            "p_hit_low": crn.p_hit(target, base_leads * (1 - s)),
            "p_hit_high": crn.p_hit(target, base_leads * (1 + s)),
        }
    )
    d = model.deal_size.mean
    rows.append(
        {
            "input": "deal size",
            "kind": "deal_size",
            "stage": model.stages[-1],
            "low_value": d * (1 - s),
            "base_value": d,
            "high_value": d * (1 + s),
            "how": f"-/+{s:.0%} relative",
            "p_hit_low": crn.p_hit(target, base_leads, None, 1 - s),
            "p_hit_high": crn.p_hit(target, base_leads, None, 1 + s),
        }
    )
    for r in rows:
        r["p_hit_base"] = base
        r["effect"] = r["p_hit_high"] - r["p_hit_low"]
    rows.sort(key=lambda r: -abs(r["effect"]))
    return SensitivityResult(
        target=float(target),
        base_p_hit=base,
        swing=s,
        method=method,
        rows=tuple(rows),
        trials=crn.trials,
        seed=crn.seed,
    )


# ---------------------------------------------------------------------------------------------
# From a parameters file
# ---------------------------------------------------------------------------------------------


def funnel_inputs_from_params(
    params: Any, *, leads: int | LeadVolume | None = None, carry_in: bool = True
) -> dict:
    """The :func:`simulate_funnel` keyword arguments a :class:`~alignlib.params.QuarterParams`
    implies.

    * ``leads``: the given volume, else the point-estimate reverse funnel's required leads,
      drawn as ``simulation.lead_volume`` says (``poisson``: Poisson, phased by month with
      ``target.monthly_phasing`` when that is not equal thirds; ``fixed``: exactly that many);
    * ``rates``: ``params.rate_inputs`` (counts become Beta posteriors);
    * ``deal_size``: lognormal with ``deal_size.mean`` and ``deal_size.spread``;
    * ``lags``: ``params.lags`` (gamma, mean = typical, sd = spread) when any lag is given;
      the quarter is ``quarter_start .. quarter_end`` long and the lead window opens the
      typical lead-to-won lag before the quarter (as the monthly plan phases leads), so a
      deal with typical lags from a lead on the window's first day closes on the quarter's
      first day; with ``carry_in`` (default) the neighbouring quarters run the same plan and
      their deals that land inside this quarter count (steady state), so lag *spread* moves
      deals across quarter ends in both directions instead of only losing them.
    """
    from alignlib.planning import reverse_funnel

    stages = list(params.stage_names)
    if leads is None:
        plan = reverse_funnel(params.target.bookings, params.deal_size.mean, stages, params.rates)
        n = int(plan.leads)
    elif isinstance(leads, LeadVolume):
        n = None
    else:
        n = _check_count(leads, "leads")
    if n is not None:
        if params.simulation.lead_volume == "fixed":
            volume: LeadVolume = LeadVolume.fixed(n)
        else:
            phasing = [float(x) for x in params.phasing]
            if max(phasing) - min(phasing) > 1e-9:
                means = [n * ph / sum(phasing) for ph in phasing]
                volume = LeadVolume.monthly(means, [math.sqrt(m) for m in means])
            else:
                volume = LeadVolume.poisson(n)
    else:
        volume = leads  # type: ignore[assignment]
    kwargs: dict[str, Any] = {
        "leads": volume,
        "stages": stages,
        "rates": list(params.rate_inputs),
        "deal_size": DealSize(params.deal_size.mean, params.deal_size.spread),
    }
    lags = [Lag(lag.typical, lag.spread) for lag in params.lags]
    if any(lag.typical > 0 for lag in lags):
        kwargs["lags"] = lags
        kwargs["quarter_days"] = float((params.quarter_end - params.quarter_start).days + 1)
        kwargs["lead_window_start"] = -sum(lag.typical for lag in lags)
        kwargs["carry_in"] = carry_in
    return kwargs


def simulate_from_params(
    params: Any,
    *,
    trials: int | None = None,
    seed: int | None = None,
    leads: int | LeadVolume | None = None,
    **options: Any,
) -> SimulationResult:
    """Run :func:`simulate_funnel` on a quarter's parameters.

    ``trials`` and ``seed`` default to ``params.simulation``; ``leads`` to the reverse
    funnel's required leads (see :func:`funnel_inputs_from_params`). Other keyword arguments
    (``workers``, ``client``, ``scheduler``, ``chunk_size``, ``progress``) pass through.
    """
    return simulate_funnel(
        **funnel_inputs_from_params(params, leads=leads),
        trials=params.simulation.trials if trials is None else trials,
        seed=params.simulation.seed if seed is None else seed,
        **options,
    )


def plan_from_params(
    params: Any,
    *,
    confidence: float | None = None,
    trials: int = 20_000,
    seed: int | None = None,
) -> ConfidencePlan:
    """:func:`plan_for_confidence` for a quarter's target and funnel (confidence defaults to
    ``params.simulation.confidence``; point plan at ``params.rates``)."""
    kwargs = funnel_inputs_from_params(params)
    return plan_for_confidence(
        **kwargs,
        target=params.target.bookings,
        confidence=params.simulation.confidence if confidence is None else confidence,
        trials=trials,
        seed=params.simulation.seed if seed is None else seed,
        point_rates=list(params.rates),
    )


def sensitivity_from_params(
    params: Any,
    *,
    leads: int | LeadVolume | None = None,
    swing: float = 0.1,
    method: str = "posterior",
    trials: int = 20_000,
    seed: int | None = None,
) -> SensitivityResult:
    """:func:`sensitivity` for a quarter, at the point-plan lead volume unless ``leads``."""
    return sensitivity(
        **funnel_inputs_from_params(params, leads=leads),
        target=params.target.bookings,
        swing=swing,
        method=method,
        trials=trials,
        seed=params.simulation.seed if seed is None else seed,
    )
