"""The draws of one block of trials.

Leads, stage conversions, timing, carried-in deals and deal sums, in a fixed order.

Speed comes from binomial thinning (no per-lead arrays). The **sum of k lognormal deal
sizes** is drawn exactly for small k and, for larger k, from a shifted lognormal that
matches the sum's mean, variance *and* skewness exactly (error only from the fourth moment
onward, O(1/k)). The switch-over, :attr:`DealSize.exact_sum_below`, is
``max(16, 2 x excess kurtosis of one deal)``: 16 for realistic spreads (spread/mean up to
~0.8), 76 at spread = mean; tested so that the approximation's error stays below the Monte
Carlo error of a 100,000-trial run.
"""

from __future__ import annotations

import math

import numpy as np

from alignlib.simulation._docs import block_doc
from alignlib.simulation.model import DEAL_SUM_EXACT_BELOW, DealSize, FunnelModel, LeadVolume
from alignlib.simulation.streams import block_generator


def _shifted_lognormal(k: np.ndarray, deal: DealSize) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parameters (shift, scale, sigma) of the shifted lognormal matching a deal sum.

    The first three moments of a sum of ``k`` iid lognormal deals are matched by
    ``S = shift + scale * exp(sigma Z - sigma^2/2)``.
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

    Parameters
    ----------
    k : ndarray of int
        Won deals per trial (0 gives 0).
    z : ndarray of float
        One standard normal per trial.
    deal : DealSize
        The deal amount distribution.

    Returns
    -------
    ndarray
        Revenue per trial.
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


def deal_sums(
    rng: np.random.Generator, k: np.ndarray, deal: DealSize, exact_below: int | None = None
) -> np.ndarray:
    """Bookings from ``k`` won deals per trial (exact sums for few deals, else approximate).

    Below ``exact_below`` deals the lognormal draws are summed; from there on the sum is
    :func:`approximate_deal_sum`.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream.
    k : ndarray of int
        Won deals per trial.
    deal : DealSize
        The deal-size distribution (a spread of 0: every deal is the mean).
    exact_below : int, optional
        Counts below this are summed exactly (default ``deal.exact_sum_below``).

    Returns
    -------
    ndarray
        One sum per trial.
    """
    k = np.asarray(k, dtype=np.int64)
    if deal.spread == 0:
        return k * deal.mean
    if exact_below is None:
        exact_below = deal.exact_sum_below
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


def _draw_leads(
    rng: np.random.Generator, leads: LeadVolume, n: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Leads per trial, and per-month leads when the volume is monthly."""
    if leads.kind == "fixed":
        return np.full(n, int(leads.monthly_means[0]), dtype=np.int64), []
    if leads.kind == "poisson":
        return rng.poisson(leads.monthly_means[0], n), []
    per_month = []
    for m, shape in zip(leads.monthly_means, leads.gamma_shapes(), strict=True):
        if math.isinf(shape):
            per_month.append(rng.poisson(m, n))
        else:
            per_month.append(rng.poisson(rng.gamma(shape, m / shape, n)))
    return np.sum(per_month, axis=0), per_month


def _trial_close_probabilities(
    model: FunnelModel, leads: np.ndarray, per_month: list[np.ndarray]
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Per trial: P(a won deal closes inside / before the quarter).

    Months are weighted by the trial's own lead volumes (each won deal's month is drawn in
    proportion to them).
    """
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
    """Deals from the other lead windows (before and after) that close inside the quarter.

    Same plan, same true rates as this trial (earlier windows at their own volumes where
    the model has them): their leads are thinned straight to those deals. Windows in the
    order of ``model.carry_windows``.
    """
    carried = np.zeros(n, dtype=np.int64)
    timing = model.timing
    assert timing is not None
    for offset, probs in zip(timing.carry_offsets, timing.carry_probabilities, strict=True):
        volume = model.window_leads(offset)
        leads, per_month = _draw_leads(rng, volume, n)
        if per_month and len(per_month) == len(probs):
            for m, lm in enumerate(per_month):
                carried += rng.binomial(lm, np.clip(np.multiply(p_won, probs[m]), 0.0, 1.0))
        else:
            # one volume for the whole window: its leads arrive uniformly over the months
            prob = float(np.mean(probs))
            carried += rng.binomial(leads, np.clip(np.multiply(p_won, prob), 0.0, 1.0))
    return carried


def split_by_share(rng: np.random.Generator, total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Multinomial split of ``total`` per trial by ``weights`` (channels x trials or channels).

    Sequential binomials (channel k gets ``Binomial(rest, w_k / sum of w_k..)``), one draw
    per channel but the last, in channel order.

    Parameters
    ----------
    rng : numpy.random.Generator
        The block's generator.
    total : ndarray of int
        Count per trial.
    weights : ndarray
        Non-negative weights per channel (a row per channel; columns per trial or one).

    Returns
    -------
    ndarray of int64
        Channels x trials; columns sum to ``total``.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim == 1:
        w = w[:, None]
    k = w.shape[0]
    out = np.empty((k, total.shape[0]), dtype=np.int64)
    rest = np.asarray(total, dtype=np.int64)
    remaining = w[::-1].cumsum(axis=0)[::-1]  # sum of weights from channel i on
    for i in range(k - 1):
        p = np.divide(
            w[i],
            remaining[i],
            out=np.zeros(np.broadcast(w[i], remaining[i]).shape),
            where=remaining[i] > 0,
        )
        out[i] = rng.binomial(rest, np.clip(p, 0.0, 1.0))
        rest = rest - out[i]
    out[k - 1] = rest
    return out


def _simulate_channels(
    rng: np.random.Generator,
    model: FunnelModel,
    leads: np.ndarray,
    per_month: list[np.ndarray],
    n: int,
    exact_below: int,
) -> dict[str, np.ndarray]:
    """The rest of a block whose leads split across channels with their own funnels.

    Order: leads split by share; per channel its rates and stage binomials; per channel
    wins before / inside the quarter; carried-in deals (all channels at once: each
    window's leads thinned by the share-weighted chance to win, then split by channel);
    per channel deal sums (inside, after, before).
    """
    channels = model.channels
    by_channel = split_by_share(rng, leads, model.channel_shares)
    counts = np.zeros((len(model.stages), n), dtype=np.int64)
    won = np.empty((len(channels), n), dtype=np.int64)
    p_channel = np.ones((len(channels), n))
    for k, ch in enumerate(channels):
        current = by_channel[k]
        counts[0] += current
        for i, rate in enumerate(ch.rates):
            p = rate.draw(rng, n)
            current = rng.binomial(current, p)
            counts[i + 1] += current
            p_channel[k] = p_channel[k] * p
        won[k] = current
    out: dict[str, np.ndarray] = {"counts": counts.astype(np.int32)}
    deals = [ch.deal_size for ch in channels]
    below = [max(exact_below, d.exact_sum_below) for d in deals]

    def revenue(wins: np.ndarray) -> np.ndarray:
        total = np.zeros(n)
        for k in range(len(channels)):
            total += deal_sums(rng, wins[k], deals[k], below[k])
        return total

    if not model.has_lags:
        out["revenue"] = revenue(won)
        return out
    q_in, q_before = _trial_close_probabilities(model, leads, per_month)
    won_before = np.zeros_like(won)
    won_in = np.empty_like(won)
    for k in range(len(channels)):
        if model.lead_window_start < 0:
            won_before[k] = rng.binomial(won[k], q_before)
            q_cond = np.divide(
                q_in, 1.0 - np.asarray(q_before), out=np.zeros(n), where=np.asarray(q_before) < 1.0
            )
            won_in[k] = rng.binomial(won[k] - won_before[k], np.clip(q_cond, 0.0, 1.0))
        else:
            won_in[k] = rng.binomial(won[k], q_in)
    won_after = won - won_in - won_before
    if model.carry_in:
        weights = model.channel_shares[:, None] * p_channel
        carried = _draw_carry_in(rng, model, weights.sum(axis=0), n)
        out["won_carried_in"] = carried.astype(np.int32)
        won_in = won_in + split_by_share(rng, carried, weights)
    out["won_in_quarter"] = won_in.sum(axis=0).astype(np.int32)
    out["revenue"] = revenue(won_in)
    out["revenue_after"] = revenue(won_after)
    out["revenue_before"] = revenue(won_before)
    return out


@block_doc
def simulate_block(
    model: FunnelModel, entropy: int, block: int, n: int, exact_below: int = DEAL_SUM_EXACT_BELOW
) -> dict[str, np.ndarray]:
    """Simulate ``n`` trials on block ``block``'s own stream (the unit of determinism).

    The draw order inside a block is fixed: leads, then per stage a rate (beta draws when
    counts are given) and a binomial, then wins before / inside the quarter, then the
    carried-in deals (window by window), then deal sums (inside, after, before). With
    channels the leads are split by share first and each channel runs its own funnel
    (:func:`_simulate_channels`).

    Parameters
    ----------
    block : int
        Block number (its stream: :func:`~alignlib.simulation.streams.block_generator`).
    n : int
        Trials in the block.

    Returns
    -------
    dict of ndarray
        ``counts`` (stages x n) and ``revenue``; with lags also ``won_in_quarter``,
        ``revenue_after``, ``revenue_before`` and (carry-in) ``won_carried_in``.
    """
    rng = block_generator(entropy, block)
    leads, per_month = _draw_leads(rng, model.leads, n)
    if model.channels:
        return _simulate_channels(rng, model, leads, per_month, n, exact_below)
    counts = np.empty((len(model.stages), n), dtype=np.int32)
    counts[0] = leads
    current = leads
    p_won: float | np.ndarray = 1.0
    for i, rate in enumerate(model.rates):
        p = rate.draw(rng, n)
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
        out["revenue"] = deal_sums(rng, won_in, model.deal_size, exact_below)
        out["revenue_after"] = deal_sums(rng, won_after, model.deal_size, exact_below)
        out["revenue_before"] = deal_sums(rng, won_before, model.deal_size, exact_below)
    else:
        out["revenue"] = deal_sums(rng, won, model.deal_size, exact_below)
    return out
