"""Common random numbers: the same per-trial randomness for every candidate input.

Every candidate lead volume or input swing sees the same draws, so P(hit) moves smoothly
and monotonely between them (plan search, sensitivity, experiment impact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alignlib.simulation.draws import approximate_deal_sum
from alignlib.simulation.engine import blocks
from alignlib.simulation.memory import CRN_MAX_PATH as _CRN_MAX_PATH
from alignlib.simulation.memory import check_memory, crn_bytes_per_trial
from alignlib.simulation.model import DealSize, FunnelModel, LeadVolume, Rate
from alignlib.simulation.streams import Stream, stream_generator


def _uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    # inverse CDFs need u strictly inside (0, 1)
    u = rng.random(n)
    u[u == 0.0] = 2.0**-54
    return u


def _gamma_noise(rng: np.random.Generator, volume: LeadVolume, n: int) -> np.ndarray:
    """Per month of ``volume``: its gamma level (mean 1), or 1 where the month is Poisson."""
    noise = np.ones((volume.months, n))
    if volume.kind == "monthly":
        for m, shape in enumerate(volume.gamma_shapes()):
            if not math.isinf(shape):
                noise[m] = rng.gamma(shape, 1.0 / shape, n)
    return noise


def _wins_of(
    u: np.ndarray,
    volume: LeadVolume,
    mean: float,
    p_won: np.ndarray,
    noise: np.ndarray | None,
    probs: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse-CDF wins of one lead window with ``mean`` expected leads of ``volume``'s shape.

    ``probs`` (per month) thin the wins further (a window's deals landing in the quarter).
    """
    from scipy import stats

    if probs is not None and len(probs) != volume.months:
        probs = np.array([float(np.mean(probs))])
    if volume.kind == "fixed":
        p = p_won if probs is None else p_won * probs[0]
        return stats.binom.ppf(u, int(round(mean)), np.clip(p, 0.0, 1.0))
    if volume.kind == "poisson":
        p = p_won if probs is None else p_won * probs[0]
        return stats.poisson.ppf(u, mean * p)
    assert noise is not None
    shares = np.asarray(volume.monthly_means) / max(volume.mean, 1e-300)
    weights = shares[:, None] * noise if probs is None else shares[:, None] * noise * probs[:, None]
    return stats.poisson.ppf(u, mean * weights.sum(axis=0) * p_won)


def _split(u: np.ndarray, total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Inverse-CDF multinomial split of ``total`` by ``weights`` (channels x trials).

    Each channel's count is non-decreasing in ``total`` (fixed uniforms ``u``, one row per
    channel but the last).
    """
    from scipy import stats

    k = weights.shape[0]
    out = np.empty((k, total.shape[0]), dtype=np.int64)
    rest = total.astype(np.int64)
    remaining = weights[::-1].cumsum(axis=0)[::-1]
    for i in range(k - 1):
        p = np.divide(
            weights[i], remaining[i], out=np.zeros(total.shape[0]), where=remaining[i] > 0
        )
        out[i] = stats.binom.ppf(u[i], rest, np.clip(p, 0.0, 1.0)).astype(np.int64)
        rest = rest - out[i]
    out[k - 1] = rest
    return out


def _deal_draws(
    rng: np.random.Generator, deal: DealSize, n: int, k_path: int
) -> tuple[np.ndarray, np.ndarray]:
    mu, sigma = deal.lognormal_params
    return np.cumsum(rng.lognormal(mu, sigma, (n, k_path)), axis=1), rng.standard_normal(n)


def _revenue_from(
    k: np.ndarray, deal: DealSize, path: np.ndarray | None, z: np.ndarray | None
) -> np.ndarray:
    """Revenue of ``k`` wins per trial from the running sums of exact deals and a normal."""
    if path is None:
        return k * deal.mean
    k_path = path.shape[1]
    out = np.zeros(k.shape[0])
    small = (k > 0) & (k <= k_path)
    rows = np.nonzero(small)[0]
    out[small] = path[rows, k[small] - 1]
    big = k > k_path
    if big.any():
        assert z is not None
        out[big] = path[big, -1] + approximate_deal_sum(k[big] - k_path, z[big], deal)
    return out


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
    other windows likewise, with their own lead noise and uniforms (``carry_in``). Only
    this window's volume (and the later windows', which run the same plan) moves with
    ``lead_mean``: earlier windows keep theirs (``model.prior_leads``, else the model's
    own lead volume). With channels, a lead is won with the share-weighted chance
    ``sum_k share_k p_k`` (each channel's own rate draws) and the quarter's wins are split
    across channels by ``share_k p_k`` (a multinomial by inverse CDF), each channel's deals
    at its own size. Revenue from ``k`` wins is an exact running sum of lognormal deals for
    ``k < DealSize.exact_sum_below`` (at most 128 deals kept per trial) and, above, that
    running sum plus the shifted-lognormal approximation for the remaining deals.
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
    u_carry: np.ndarray | None = None  # (windows, trials): in model.carry_windows order
    carry_noise: np.ndarray | None = None  # (windows, months, trials): monthly volumes only
    # channels: their rate draws (channels, n_rates, trials), the split's uniforms
    # (channels - 1, trials), and per channel its deal path and normal
    channel_rate_draws: np.ndarray | None = None
    u_split: np.ndarray | None = None
    channel_deal_paths: tuple[np.ndarray, ...] | None = None
    channel_z: np.ndarray | None = None
    blend_drawn: np.ndarray | None = None  # rate_draws as drawn (to follow a replaced one)

    @classmethod
    def draw(
        cls,
        model: FunnelModel,
        trials: int,
        entropy: int,
        exact_below: int | None = None,
        *,
        memory_gb: float | None = None,
        where: str = "common random numbers",
    ) -> CommonRandomNumbers:
        """Draw the fixed per-trial inputs, block by block as :func:`simulate_funnel` does.

        Parameters
        ----------
        model : FunnelModel
            The funnel.
        trials : int
            Trials to draw.
        entropy : int
            Root entropy of the run.
        exact_below : int, optional
            Won-deal counts below this keep exact deal amounts (default
            ``model.deal_size.exact_sum_below``; at most 128 per trial).
        memory_gb : float, optional
            Memory budget in GB (see :func:`~alignlib.simulation.memory.memory_budget`);
            trials that would not fit are refused before anything is drawn.
        where : str
            Entry point named in the memory error.

        Returns
        -------
        CommonRandomNumbers
        """
        parts: dict[str, list[np.ndarray]] = {}
        if exact_below is None:
            exact_below = max(
                [model.deal_size.exact_sum_below]
                + [ch.deal_size.exact_sum_below for ch in model.channels]
            )
        check_memory(
            trials,
            crn_bytes_per_trial(model, exact_below),
            where=where,
            what="common random numbers",
            memory_gb=memory_gb,
        )
        k_path = max(1, min(exact_below - 1, _CRN_MAX_PATH))
        channels = model.channels
        lognormal = model.deal_size.spread > 0 and not channels
        windows = model.carry_windows if model.carry_in else ()
        for block, n in blocks(trials):
            # its own streams, independent of simulate_funnel's blocks
            rng = stream_generator(entropy, Stream.COMMON_RANDOM_NUMBERS, block)
            parts.setdefault("rates", []).append(_rate_draws(rng, model.rates, n))
            if model.leads.kind == "monthly":
                parts.setdefault("noise", []).append(_gamma_noise(rng, model.leads, n))
            parts.setdefault("u_won", []).append(_uniform(rng, n))
            parts.setdefault("u_before", []).append(_uniform(rng, n))
            parts.setdefault("u_quarter", []).append(_uniform(rng, n))
            if lognormal:
                path, z = _deal_draws(rng, model.deal_size, n, k_path)
                parts.setdefault("path", []).append(path)
                parts.setdefault("z", []).append(z)
            if windows:
                parts.setdefault("u_carry", []).append(
                    np.stack([_uniform(rng, n) for _ in windows])
                )
                if any(model.window_leads(j).kind == "monthly" for j in windows):
                    noise = np.ones((len(windows), model.leads.months, n))
                    for w, j in enumerate(windows):
                        g = _gamma_noise(rng, model.window_leads(j), n)
                        noise[w, : g.shape[0]] = g
                    parts.setdefault("carry_noise", []).append(noise)
            if channels:
                parts.setdefault("ch_rates", []).append(
                    np.stack([_rate_draws(rng, ch.rates, n) for ch in channels])
                )
                parts.setdefault("u_split", []).append(
                    np.stack([_uniform(rng, n) for _ in channels[1:]])
                    if len(channels) > 1
                    else np.empty((0, n))
                )
                ch_z = np.zeros((len(channels), n))
                for k, ch in enumerate(channels):
                    if ch.deal_size.spread > 0:
                        path, ch_z[k] = _deal_draws(rng, ch.deal_size, n, k_path)
                        parts.setdefault(f"ch_path{k}", []).append(path)
                parts.setdefault("ch_z", []).append(ch_z)

        def joined(key: str, axis: int = 0) -> np.ndarray | None:
            return np.concatenate(parts[key], axis=axis) if key in parts else None

        rate_draws = np.concatenate(parts["rates"], axis=1)
        ch_paths = None
        if channels:
            ch_paths = tuple(
                joined(f"ch_path{k}") if f"ch_path{k}" in parts else np.empty((trials, 0))
                for k in range(len(channels))
            )
        return cls(
            model=model,
            rate_draws=rate_draws,
            month_noise=joined("noise", 1),
            u_won=np.concatenate(parts["u_won"]),
            u_before=np.concatenate(parts["u_before"]),
            u_quarter=np.concatenate(parts["u_quarter"]),
            deal_path=joined("path"),
            z_deal=joined("z"),
            trials=trials,
            seed=entropy,
            u_carry=joined("u_carry", 1),
            carry_noise=joined("carry_noise", 2),
            channel_rate_draws=joined("ch_rates", 2),
            u_split=joined("u_split", 1),
            channel_deal_paths=ch_paths,  # type: ignore[arg-type]
            channel_z=joined("ch_z", 1),
            blend_drawn=rate_draws if channels else None,
        )

    def _revenue_from_wins(self, k: np.ndarray) -> np.ndarray:
        return _revenue_from(k, self.model.deal_size, self.deal_path, self.z_deal)

    def channel_rates(
        self,
        rate_factors: Sequence[float] | np.ndarray | None = None,
        rate_values: Mapping[int, float] | None = None,
        channel_rate_values: Mapping[int, Sequence[float]] | None = None,
    ) -> np.ndarray:
        """Each channel's rate draws (channels x transitions x trials) with the swings applied.

        A replaced ``rate_draws`` (an experiment's lift on the blended rate) moves every
        channel's rate by the same factor, trial by trial.
        """
        assert self.channel_rate_draws is not None and self.blend_drawn is not None
        rates = self.channel_rate_draws
        if self.rate_draws is not self.blend_drawn:
            ratio = np.divide(
                self.rate_draws,
                self.blend_drawn,
                out=np.ones_like(self.rate_draws),
                where=self.blend_drawn > 0,
            )
            rates = rates * ratio[None]
        if rate_factors is not None:
            rates = rates * np.asarray(rate_factors, dtype=float)[None, :, None]
        if rate_values or channel_rate_values:
            rates = rates.copy()
            for i, value in (rate_values or {}).items():
                rates[:, i] = value
            for i, values in (channel_rate_values or {}).items():
                rates[:, i] = np.asarray(values, dtype=float)[:, None]
        return np.clip(rates, 0.0, 1.0)

    def wins_by_channel(
        self,
        lead_mean: float,
        rate_factors: Sequence[float] | np.ndarray | None = None,
        rate_values: Mapping[int, float] | None = None,
        channel_rate_values: Mapping[int, Sequence[float]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Won deals per trial and, per channel, those closing inside the quarter.

        Parameters
        ----------
        lead_mean : float
            Expected leads of this window.
        rate_factors : sequence of float, optional
            Multiply each transition's rate draws (every channel's).
        rate_values : mapping, optional
            Transition ``i``'s rate pinned to a value in every trial (every channel).
        channel_rate_values : mapping, optional
            Transition ``i``'s rate pinned per channel (one value per channel).

        Returns
        -------
        won : ndarray
            Won deals of this window per trial.
        won_in : ndarray
            Channels x trials (one row without channels): wins inside the quarter.
        """
        if self.model.channels:
            ch_rates = self.channel_rates(rate_factors, rate_values, channel_rate_values)
            weights = self.model.channel_shares[:, None] * np.prod(ch_rates, axis=1)
            p_won = weights.sum(axis=0)
        else:
            rates = self.rate_draws
            if rate_factors is not None:
                rates = np.clip(rates * np.asarray(rate_factors, dtype=float)[:, None], 0.0, 1.0)
            if rate_values:
                rates = rates.copy()
                for i, value in rate_values.items():
                    rates[i] = value
            p_won = np.prod(rates, axis=0)
        won, won_in = self._wins(lead_mean, p_won)
        if not self.model.channels:
            return won, won_in[None]
        assert self.u_split is not None
        return won, _split(self.u_split, won_in, weights)

    def _wins(self, lead_mean: float, p_won: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy import stats

        leads = self.model.leads
        won = _wins_of(self.u_won, leads, lead_mean, p_won, self.month_noise).astype(np.int64)
        if not self.model.has_lags:
            return won, won
        months_in = np.asarray(self.model.in_quarter_probability)
        months_before = np.asarray(self.model.before_quarter_probability)
        q_in: np.ndarray | float
        q_before: np.ndarray | float
        if leads.kind == "monthly":
            assert self.month_noise is not None
            shares = np.asarray(leads.monthly_means) / leads.mean
            weights = shares[:, None] * self.month_noise  # expected leads per month / mean
            total = weights.sum(axis=0)
            q_in = (months_in[:, None] * weights).sum(axis=0) / total
            q_before = (months_before[:, None] * weights).sum(axis=0) / total
        else:
            q_in, q_before = float(months_in[0]), float(months_before[0])
        # deals that close before the quarter are taken out first, then the rest split
        won_before = stats.binom.ppf(self.u_before, won, q_before).astype(np.int64)
        q_cond = np.clip(np.divide(q_in, np.maximum(1.0 - np.asarray(q_before), 1e-300)), 0, 1)
        won_in = stats.binom.ppf(self.u_quarter, won - won_before, q_cond).astype(np.int64)
        if self.model.carry_in:
            assert self.u_carry is not None
            timing = self.model.timing
            assert timing is not None
            windows = zip(timing.carry_offsets, timing.carry_probabilities, strict=True)
            for w, (offset, probs) in enumerate(windows):
                volume = self.model.window_leads(offset)
                # earlier windows keep their leads; this plan runs from this window on
                mean = volume.mean if offset < 0 else lead_mean
                noise = None if self.carry_noise is None else self.carry_noise[w]
                c = _wins_of(self.u_carry[w], volume, mean, p_won, noise, np.asarray(probs))
                won_in = won_in + c.astype(np.int64)
        return won, won_in

    def wins(
        self,
        lead_mean: float,
        rate_factors: Sequence[float] | np.ndarray | None = None,
        rate_values: Mapping[int, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Won deals per trial, and those closing inside the quarter, for this lead volume.

        ``rate_factors`` multiply each transition's rate draws; ``rate_values`` pin
        transition ``i``'s rate to a value in every trial.
        """
        won, won_in = self.wins_by_channel(lead_mean, rate_factors, rate_values)
        return won, won_in.sum(axis=0)

    def revenue(
        self,
        lead_mean: float,
        rate_factors: Sequence[float] | np.ndarray | None = None,
        deal_factor: float = 1.0,
        rate_values: Mapping[int, float] | None = None,
        channel_rate_values: Mapping[int, Sequence[float]] | None = None,
    ) -> np.ndarray:
        """In-quarter revenue per trial for this lead volume (and swung inputs)."""
        _, won_in = self.wins_by_channel(lead_mean, rate_factors, rate_values, channel_rate_values)
        if not self.model.channels:
            return deal_factor * self._revenue_from_wins(won_in[0])
        assert self.channel_deal_paths is not None and self.channel_z is not None
        total = np.zeros(self.trials)
        for k, ch in enumerate(self.model.channels):
            path = self.channel_deal_paths[k]
            total += _revenue_from(
                won_in[k], ch.deal_size, path if path.shape[1] else None, self.channel_z[k]
            )
        return deal_factor * total

    def p_hit(
        self,
        target: float,
        lead_mean: float,
        rate_factors: Sequence[float] | np.ndarray | None = None,
        deal_factor: float = 1.0,
        rate_values: Mapping[int, float] | None = None,
        channel_rate_values: Mapping[int, Sequence[float]] | None = None,
    ) -> float:
        """P(in-quarter revenue >= target) on these common random numbers."""
        if lead_mean <= 0 and not (self.model.carry_in and self.model.has_lags):
            return 1.0 if target <= 0 else 0.0
        rev = self.revenue(lead_mean, rate_factors, deal_factor, rate_values, channel_rate_values)
        return float(np.count_nonzero(rev >= target) / self.trials)


def _rate_draws(rng: np.random.Generator, rates: Sequence[Rate], n: int) -> np.ndarray:
    out = np.empty((len(rates), n))
    for i, rate in enumerate(rates):
        out[i] = rate.draw(rng, n)
    return out
