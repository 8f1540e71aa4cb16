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
from alignlib.simulation.model import FunnelModel
from alignlib.simulation.streams import Stream, stream_generator


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
            exact_below = model.deal_size.exact_sum_below
        check_memory(
            trials,
            crn_bytes_per_trial(model, exact_below),
            where=where,
            what="common random numbers",
            memory_gb=memory_gb,
        )
        k_path = max(1, min(exact_below - 1, _CRN_MAX_PATH))
        lognormal = model.deal_size.spread > 0
        for block, n in blocks(trials):
            # its own streams, independent of simulate_funnel's blocks
            rng = stream_generator(entropy, Stream.COMMON_RANDOM_NUMBERS, block)
            rates = np.empty((len(model.rates), n))
            for i, rate in enumerate(model.rates):
                if rate.fixed is not None:
                    rates[i] = rate.fixed
                else:
                    rates[i] = rng.beta(1.0 + rate.converted, 1.0 + rate.total - rate.converted, n)
            parts.setdefault("rates", []).append(rates)
            if model.leads.kind == "monthly":
                noise = np.ones((len(model.leads.monthly_means), n))
                for m, shape in enumerate(model.leads.gamma_shapes()):
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
                        for m, shape in enumerate(model.leads.gamma_shapes()):
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
        rate_factors: Sequence[float] | np.ndarray | None = None,
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
        months_in = np.asarray(self.model.in_quarter_probability)
        months_before = np.asarray(self.model.before_quarter_probability)
        q_in: np.ndarray | float
        q_before: np.ndarray | float
        if weights is not None:
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
        rate_factors: Sequence[float] | np.ndarray | None = None,
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
        rate_factors: Sequence[float] | np.ndarray | None = None,
        deal_factor: float = 1.0,
        rate_values: Mapping[int, float] | None = None,
    ) -> float:
        """P(in-quarter revenue >= target) on these common random numbers."""
        if lead_mean <= 0:
            return 1.0 if target <= 0 else 0.0
        rev = self.revenue(lead_mean, rate_factors, deal_factor, rate_values)
        return float(np.count_nonzero(rev >= target) / self.trials)
