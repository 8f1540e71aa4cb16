"""Channels as funnels: each channel's own conversion rates and deal size.

"Where do our best leads come from?" A channel converts at the rates its params give,
else at the rates its own history teaches, shrunk toward the blended rates in proportion
to how little history it has (an empirical-Bayes Beta prior fitted across channels), else
at the blended rates. Planning and the simulation both read :func:`channel_funnels`, so
a channel-mix scenario changes the leads needed and the odds, not only the cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from alignlib.history.funnel import FunnelHistory, learn

RateSource = Literal["params", "actuals", "blended"]

#: Fewest won deals with amounts from which a channel's own deal size is learned.
MIN_DEALS_FOR_CHANNEL_SIZE = 10


@dataclass(frozen=True)
class ChannelRate:
    """A channel's conversion out of one stage.

    Attributes
    ----------
    stage : str
        The from-stage.
    converted, total : float or None
        Effective counts (the channel's own plus its share of the prior) when the rate is
        evidence; None for a fixed rate.
    fixed : float or None
        A rate given as a number.
    source : {"params", "actuals", "blended"}
        Where the rate comes from.
    """

    stage: str
    converted: float | None
    total: float | None
    fixed: float | None
    source: RateSource

    @property
    def rate(self) -> float:
        """Point estimate (``converted / total`` or the fixed rate)."""
        if self.fixed is not None:
            return self.fixed
        assert self.converted is not None and self.total
        return self.converted / self.total

    @property
    def simulation_input(self) -> float | tuple[float, float]:
        """What the simulation draws from: a rate, or counts for a Beta posterior."""
        if self.fixed is not None or self.converted is None or self.total is None:
            return self.rate
        return (self.converted, self.total)


@dataclass(frozen=True)
class ChannelFunnel:
    """One channel's funnel: share of leads, cost, rates and deal size.

    Attributes
    ----------
    name, label : str
        The channel and how pages print it.
    share : float
        Share of leads.
    cost_per_lead : float or None
        None when unknown.
    rates : tuple of ChannelRate
        One per stage but the last.
    deal_size_mean, deal_size_spread : float
        Won amount.
    deal_size_source : {"params", "actuals", "blended"}
        Where the deal size comes from.
    max_leads_per_month : float or None
        The most leads the channel can supply in a month.
    min_share : float
        The least share of leads the mix must keep in it.
    """

    name: str
    label: str
    share: float
    cost_per_lead: float | None
    rates: tuple[ChannelRate, ...]
    deal_size_mean: float
    deal_size_spread: float
    deal_size_source: RateSource
    max_leads_per_month: float | None = None
    min_share: float = 0.0

    @property
    def rate_to_won(self) -> float:
        """Chance that one of the channel's leads is won (point rates)."""
        return float(np.prod([r.rate for r in self.rates]))

    @property
    def revenue_per_lead(self) -> float:
        """Expected bookings per lead: rate to won x deal size."""
        return self.rate_to_won * self.deal_size_mean

    @property
    def converts_like_blend(self) -> bool:
        """True when every rate and the deal size are the blended ones."""
        return self.deal_size_source == "blended" and all(r.source == "blended" for r in self.rates)


def shrunk_counts(
    counts: Mapping[str, tuple[int, int]],
) -> dict[str, tuple[float, float]]:
    """Each group's counts pooled with a Beta prior fitted across the groups.

    The prior is centred on the pooled rate ``p``; its strength ``m`` (in contacts) comes
    from the between-group variance of the rates beyond binomial noise (method of moments,
    the beta-binomial's ``p (1 - p) / tau^2 - 1``). A group with ``t`` contacts keeps
    weight ``t / (t + m)`` on its own rate. When the groups differ no more than noise,
    every group gets the pooled counts' rate.

    Parameters
    ----------
    counts : Mapping[str, tuple[int, int]]
        Group -> ``(converted, total)``.

    Returns
    -------
    dict
        Group -> effective ``(converted + m p, total + m)``. Groups with ``total`` 0 get
        the prior alone.
    """
    groups = {k: (int(c), int(t)) for k, (c, t) in counts.items()}
    totals = np.array([t for _, t in groups.values()], dtype=float)
    converted = np.array([c for c, _ in groups.values()], dtype=float)
    n = float(totals.sum())
    if n <= 0:
        return {}
    p = float(converted.sum()) / n
    with_data = totals > 0
    k = int(with_data.sum())
    m = math.inf
    if k >= 2 and 0 < p < 1:
        rates = converted[with_data] / totals[with_data]
        sizes = totals[with_data]
        # Between-group variance of the true rates (DerSimonian-Laird for proportions).
        q = float((sizes * (rates - p) ** 2).sum())
        denominator = n - float((sizes**2).sum()) / n
        tau2 = (q - (k - 1) * p * (1 - p)) / denominator if denominator > 0 else 0.0
        if tau2 > 0:
            m = max(p * (1 - p) / tau2 - 1.0, 0.0)
    out: dict[str, tuple[float, float]] = {}
    for name, (c, t) in groups.items():
        if math.isinf(m):
            # No evidence that the groups differ: each keeps its size at the pooled rate.
            size = float(max(t, 1))
            out[name] = (p * size, size)
        else:
            out[name] = (c + m * p, t + m) if (t + m) > 0 else (p, 1.0)
    return out


def learn_by_channel(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stage_names: Sequence[str],
    overall: FunnelHistory | None = None,
) -> dict[str, FunnelHistory]:
    """:func:`alignlib.history.funnel.learn` for each channel's contacts, on one maturity threshold.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table with a ``channel`` column.
    as_of : Timestamp or str
        End of the history.
    stage_names : sequence of str
        The funnel.
    overall : FunnelHistory, optional
        What the whole table teaches, when already learned (its maturity threshold is used).

    Returns
    -------
    dict
        Channel -> what its contacts teach (channels without a name are left out).
    """
    overall = overall if overall is not None else learn(table, as_of, stage_names)
    maturity = overall.maturity_days if math.isfinite(overall.maturity_days) else None
    out: dict[str, FunnelHistory] = {}
    channel = table["channel"]
    for name in channel.dropna().unique():
        rows = table.loc[(channel == name).to_numpy(dtype=bool, na_value=False)]
        out[str(name)] = learn(rows, as_of, stage_names, maturity_days=maturity)
    return out


def channel_funnels(
    params: Any, by_channel: Mapping[str, FunnelHistory] | None = None
) -> tuple[ChannelFunnel, ...]:
    """Each channel of the params as a funnel: its rates and deal size, and where they come from.

    Parameters
    ----------
    params : QuarterParams
        Validated parameters; ``channels.<name>.conversion_rates`` and ``deal_size`` win.
    by_channel : Mapping[str, FunnelHistory], optional
        What each channel's own history teaches (:func:`learn_by_channel`); rates are
        shrunk toward the blended rate across channels (:func:`shrunk_counts`), then
        centred so that at the file's channel shares they average back to the params'
        blended rates and deal size (a scenario that changes a blended rate, the deal
        size or the mix moves every channel).

    Returns
    -------
    tuple of ChannelFunnel
        In the params' channel order; empty when the params have no channels.
    """
    stages = list(params.stage_names)
    transitions = stages[:-1]
    histories = dict(by_channel or {})
    learned: dict[str, dict[str, tuple[float, float]]] = {}
    for stage in transitions:
        counts = {name: h.rates[stage] for name, h in histories.items() if stage in h.rates}
        learned[stage] = shrunk_counts(counts) if len(counts) >= 2 else {}
    sizes = _shrunk_deal_sizes(histories)
    out = []
    for name, ch in params.channels.items():
        rates = []
        for stage in transitions:
            own = ch.conversion_rates.get(stage)
            if own is not None:
                c = own.counts
                rates.append(
                    ChannelRate(stage, None, None, own.rate, "params")
                    if c is None
                    else ChannelRate(stage, float(c[0]), float(c[1]), None, "params")
                )
            elif name in learned[stage]:
                c_eff, t_eff = learned[stage][name]
                rates.append(ChannelRate(stage, c_eff, t_eff, None, "actuals"))
            else:
                blended = params.conversion_rates[stage]
                bc = blended.counts
                rates.append(
                    ChannelRate(stage, None, None, blended.rate, "blended")
                    if bc is None
                    else ChannelRate(stage, float(bc[0]), float(bc[1]), None, "blended")
                )
        if ch.deal_size is not None:
            mean, spread, source = ch.deal_size.mean, ch.deal_size.spread, "params"
        elif name in sizes:
            mean = sizes[name]
            spread = params.deal_size.spread * mean / params.deal_size.mean
            source = "actuals"
        else:
            mean, spread, source = params.deal_size.mean, params.deal_size.spread, "blended"
        out.append(
            ChannelFunnel(
                name=name,
                label=ch.label or name.replace("_", " ").capitalize(),
                share=ch.share,
                cost_per_lead=ch.cost_per_lead,
                rates=tuple(rates),
                deal_size_mean=float(mean),
                deal_size_spread=float(spread),
                deal_size_source=source,  # type: ignore[arg-type]
                max_leads_per_month=ch.max_leads_per_month,
                min_share=ch.min_share,
            )
        )
    return _centred(params, tuple(out))


def _centred(params: Any, funnels: tuple[ChannelFunnel, ...]) -> tuple[ChannelFunnel, ...]:
    """Learned channel rates and deal sizes scaled so the mix averages back to the params.

    What a channel's history teaches is how it differs from the others; the params say
    where the blend is. At the params file's channel shares (:attr:`reference_shares`,
    kept by scenarios, so a scenario that moves the mix moves the blend), stage by stage
    the lead-weighted rates of the channels reproduce the blended rate
    ``params.conversion_rates[stage]``, and the win-weighted deal sizes the blended
    ``deal_size.mean``. Learned rates share one factor per stage (a rate capped at 1,
    the factor found with :func:`scipy.optimize.brentq`); rates and sizes the params
    give a channel are kept as written. When those alone overshoot the blend, the
    learned ones keep their own history's rates.
    """
    reference = params.reference_shares
    weights = np.array([max(float(reference.get(f.name, f.share)), 0.0) for f in funnels])
    if not funnels or weights.sum() <= 0:
        return funnels
    volume = weights / weights.sum()
    rates = [list(f.rates) for f in funnels]
    for k, stage in enumerate(params.stage_names[:-1]):
        learned = [i for i, f in enumerate(funnels) if f.rates[k].source == "actuals"]
        if not learned:
            volume = volume * np.array([r[k].rate for r in rates])
            continue
        target = params.conversion_rates[stage].rate * volume.sum()
        fixed = sum(volume[i] * rates[i][k].rate for i in range(len(funnels)) if i not in learned)
        own_rates = np.array([rates[i][k].rate for i in learned])
        mass = volume[learned]
        scale = _scale_to(target - fixed, mass, own_rates)
        for i in learned:
            r = rates[i][k]
            assert r.converted is not None and r.total is not None
            converted = r.total if scale is None else min(r.converted * scale, r.total)
            rates[i][k] = replace(r, converted=converted)
        volume = volume * np.array([r[k].rate for r in rates])
    wins = volume
    deal = np.array([f.deal_size_mean for f in funnels])
    learned = [i for i, f in enumerate(funnels) if f.deal_size_source == "actuals"]
    size_factor = 1.0
    if learned and wins.sum() > 0:
        rest = sum(wins[i] * deal[i] for i in range(len(funnels)) if i not in learned)
        learned_mass = float(sum(wins[i] * deal[i] for i in learned))
        needed = params.deal_size.mean * wins.sum() - rest
        if learned_mass > 0 and needed > 0:
            size_factor = float(needed / learned_mass)
    return tuple(
        replace(
            f,
            rates=tuple(rates[i]),
            deal_size_mean=f.deal_size_mean * size_factor
            if f.deal_size_source == "actuals"
            else f.deal_size_mean,
            deal_size_spread=f.deal_size_spread * size_factor
            if f.deal_size_source == "actuals"
            else f.deal_size_spread,
        )
        for i, f in enumerate(funnels)
    )


def _scale_to(needed: float, mass: np.ndarray, rates: np.ndarray) -> float | None:
    """The factor ``s`` with ``sum(mass * min(s * rates, 1)) == needed``.

    None means every rate is 1 (the blend converts everyone, or nothing less reaches it);
    when ``needed`` is 0 or less (fixed rates already reach the blend) the factor is 1.
    """
    ceiling = float(mass.sum())
    if needed >= ceiling * (1 - 1e-12):
        return None
    positive = rates > 0
    if needed <= 0 or not positive.any():
        return 1.0
    top = 1.0 / float(rates[positive].min())

    def gap(s: float) -> float:
        return float((mass * np.minimum(s * rates, 1.0)).sum()) - needed

    if gap(top) <= 0:
        return None
    return float(brentq(gap, 0.0, top, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def _shrunk_deal_sizes(histories: Mapping[str, FunnelHistory]) -> dict[str, float]:
    """Each channel's mean won amount, shrunk toward the overall mean (normal-normal).

    The weight on a channel's own mean is ``n / (n + s2 / tau2)``: within-channel variance
    over between-channel variance. Channels with fewer than
    :data:`MIN_DEALS_FOR_CHANNEL_SIZE` won deals keep the overall mean.
    """
    known = {
        k: h.deal_size
        for k, h in histories.items()
        if h.deal_size is not None and h.deal_size.n >= MIN_DEALS_FOR_CHANNEL_SIZE
    }
    if len(known) < 2:
        return {}
    n = np.array([d.n for d in known.values()], dtype=float)
    means = np.array([d.mean for d in known.values()])
    variances = np.array([d.spread**2 for d in known.values()])
    grand = float((n * means).sum() / n.sum())
    within = float((n * variances).sum() / n.sum())
    between = float(np.var(means, ddof=1)) - float(np.mean(variances / n))
    if between <= 0:
        return {k: grand for k in known}
    weight = n / (n + within / between)
    return {k: float(w * m + (1 - w) * grand) for k, w, m in zip(known, weight, means, strict=True)}
