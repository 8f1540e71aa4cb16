"""When won deals close, relative to the quarter.

Stage-lag distributions, and the chance a won deal lands before, inside or after the
quarter (or comes in from the leads of the windows before and after, in steady state).

A won deal lands in the quarter with probability ``q = P(arrival + total lag <= quarter_days)``,
the same for every won deal of a trial and independent between deals, so in-quarter wins are
``Binomial(wins, q)`` given the wins (exact under the model). ``q`` is computed once by
numerical convolution of the stage lag gammas on a fine grid (discretisation error below
1e-4), not approximated by a single gamma.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from alignlib.simulation.model import Lag

_LAG_GRID_POINTS: int = 1 << 14

#: Carry-in covers every lead window the total lag reaches up to this quantile.
CARRY_QUANTILE: float = 0.999

#: Carry-in never looks more than this many windows away on either side.
MAX_CARRY_WINDOWS: int = 40


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


def total_lag_cdf(
    lags: Sequence[Lag], horizon_days: float, points: int = _LAG_GRID_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """CDF of the total lead-to-won lag (sum of independent gamma stage lags) on a grid.

    Parameters
    ----------
    lags : sequence of Lag
        Stage lags, each gamma with mean ``typical`` and sd ``spread`` (days).
    horizon_days : float
        Last day of the grid.
    points : int
        Grid points.

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

    Parameters
    ----------
    lags : sequence of Lag
        Stage lags.
    quarter_days : float
        Length of the quarter and of the lead window, in days.
    months : int
        Months of equal length the window is split into.
    window_start : float
        Day the lead window opens, relative to the quarter's first day.

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
    this window's close inside the previous quarter). Windows further away:
    :func:`carry_windows`.

    Parameters
    ----------
    lags, quarter_days, months, window_start
        As in :func:`close_probabilities`.

    Returns
    -------
    from_previous, from_next : ndarray
        One probability per month.
    """
    q = quarter_days
    by = _close_by(lags, q, months, window_start, [-q, 0.0, q, 2 * q])
    from_previous = by[3] - by[2]  # this window's deals closing in [q, 2q]
    from_next = by[1] - by[0]  # this window's deals closing in [-q, 0]
    return np.clip(from_previous, 0.0, 1.0), np.clip(from_next, 0.0, 1.0)


def total_lag_quantile(lags: Sequence[Lag], q: float = CARRY_QUANTILE) -> float:
    """The ``q`` quantile of the total lead-to-won lag (days).

    Parameters
    ----------
    lags : sequence of Lag
        Stage lags.
    q : float
        Probability, in (0, 1).

    Returns
    -------
    float
    """
    mean = sum(lag.typical for lag in lags)
    sd = math.sqrt(sum(lag.spread**2 for lag in lags))
    horizon = max(mean + 12.0 * sd, 1.0) * 1.01
    for _ in range(8):
        grid, cdf = total_lag_cdf(lags, horizon)
        if cdf[-1] >= q:
            return float(grid[int(np.searchsorted(cdf, q))])
        horizon *= 2.0
    return float(horizon)


def carry_windows(
    lags: Sequence[Lag],
    quarter_days: float,
    months: int = 1,
    window_start: float = 0.0,
    *,
    quantile: float = CARRY_QUANTILE,
    max_windows: int = MAX_CARRY_WINDOWS,
) -> tuple[tuple[int, ...], list[np.ndarray], float]:
    """Every other lead window whose won deals close inside this quarter, and how often.

    Window ``j`` is this one moved ``j`` quarters (``-1`` the previous one); in steady state
    its deals close inside the quarter as often as this window's close in the quarter
    ``-j`` quarters away. The windows kept are all those the total lag reaches up to its
    ``quantile`` (at most ``max_windows`` on each side); the previous and next windows are
    always kept. Over all windows, a won deal's chance to land in the quarter sums to 1.

    Parameters
    ----------
    lags, quarter_days, months, window_start
        As in :func:`close_probabilities`.
    quantile : float
        Windows are kept up to this quantile of the total lag.
    max_windows : int
        At most this many windows on each side.

    Returns
    -------
    offsets : tuple of int
        ``-1, 1, -2, 2, ...`` (those kept).
    probabilities : list of ndarray
        Per offset, one probability per month.
    left_out : float
        Share of the quarter's steady-state wins that the windows kept leave out (the mean
        over months).
    """
    q = quarter_days
    reach = window_start + q + total_lag_quantile(lags, quantile)
    k_lo = max(min(math.floor(window_start / q), -1), -max_windows)
    k_hi = min(max(math.floor(reach / q), 1), max_windows)
    ks = list(range(k_lo, k_hi + 2))
    by = dict(zip(ks, _close_by(lags, q, months, window_start, [k * q for k in ks]), strict=True))
    wanted = sorted({-k for k in range(k_lo, k_hi + 1) if k != 0}, key=lambda j: (abs(j), j))
    probs = [np.clip(by[-j + 1] - by[-j], 0.0, 1.0) for j in wanted]
    left_out = float(np.mean(1.0 - by[k_hi + 1] + by[k_lo]))
    return tuple(wanted), probs, max(left_out, 0.0)


def _close_by(
    lags: Sequence[Lag], quarter_days: float, months: int, window_start: float, days: list[float]
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


@dataclass(frozen=True)
class Timing:
    """Per month of lead arrival: where a won deal lands relative to the quarter.

    Attributes
    ----------
    in_quarter : tuple of float
        P(a won deal from that month closes inside the quarter).
    before_quarter : tuple of float
        P(it closes before the quarter starts).
    carry_from_previous : tuple of float or None
        P(a won deal from the previous window's month closes inside the quarter)
        (``None`` without carry-in).
    carry_from_next : tuple of float or None
        The same for the next window's month.
    carry_offsets : tuple of int
        Every window carried in (``-1, 1, -2, 2, ...``; empty without carry-in).
    carry_probabilities : tuple of tuple of float
        Per offset, per month: P(a won deal from that window's month closes inside).
    carry_left_out : float
        Share of the steady-state wins in the quarter from windows left out.
    """

    in_quarter: tuple[float, ...]
    before_quarter: tuple[float, ...]
    carry_from_previous: tuple[float, ...] | None = None
    carry_from_next: tuple[float, ...] | None = None
    carry_offsets: tuple[int, ...] = ()
    carry_probabilities: tuple[tuple[float, ...], ...] = ()
    carry_left_out: float = 0.0


def timing(
    lags: tuple[Lag, ...], quarter_days: float, months: int, window_start: float, carry_in: bool
) -> Timing:
    """The timing probabilities of a funnel (about 25 ms; each model computes them once).

    Parameters
    ----------
    lags : tuple of Lag
        Stage lags (hashable).
    quarter_days : float
        Length of the quarter and of the lead window, in days.
    months : int
        Months the lead window is split into.
    window_start : float
        Day the lead window opens, relative to the quarter's first day.
    carry_in : bool
        Also compute the carry-in probabilities.

    Returns
    -------
    Timing
    """
    before, inside = close_probabilities(lags, quarter_days, months, window_start)
    if not carry_in:
        return Timing(
            in_quarter=tuple(float(x) for x in inside),
            before_quarter=tuple(float(x) for x in before),
        )
    offsets, probs, left_out = carry_windows(lags, quarter_days, months, window_start)
    as_tuples = tuple(tuple(float(x) for x in p) for p in probs)
    return Timing(
        in_quarter=tuple(float(x) for x in inside),
        before_quarter=tuple(float(x) for x in before),
        carry_from_previous=as_tuples[offsets.index(-1)],
        carry_from_next=as_tuples[offsets.index(1)],
        carry_offsets=offsets,
        carry_probabilities=as_tuples,
        carry_left_out=left_out,
    )
