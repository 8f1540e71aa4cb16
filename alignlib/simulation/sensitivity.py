"""Which input moves P(hit) most: what we do not know, and what we could change.

Two questions, two tables, on common random numbers:

* **uncertainty**: each input at the P10 and the P90 of what we know about it (a rate's
  Beta posterior, the mean deal size's sampling error, the lead volume's own spread);
* **levers**: each plan input moved -/+10% (the lead volume, each conversion rate, the
  deal size).

The old single ranking (:attr:`SensitivityResult.rows`, :meth:`~SensitivityResult.to_frame`)
stays for callers that show one table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.simulation._docs import FUNNEL, LEADS, SEARCH
from alignlib.simulation.crn import CommonRandomNumbers
from alignlib.simulation.engine import DEFAULT_SEARCH_TRIALS, checked_inputs
from alignlib.simulation.model import DealSize, FunnelModel, LeadVolume, _check_nonnegative

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

#: The ends of the uncertainty table: posterior (or sampling) P10 and P90.
UNCERTAINTY_QUANTILES: tuple[float, float] = (0.1, 0.9)


def _range_words(lo_q: float, hi_q: float) -> str:
    """The quantiles in words for a page: "likely range" for the 10th to 90th percentile."""
    if (round(lo_q, 6), round(hi_q, 6)) == (0.1, 0.9):
        return "likely range"
    return f"{lo_q:.0%} to {hi_q:.0%} range"


def _frame(rows: Sequence[dict[str, Any]], base_p_hit: float, swing: float) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=list(_SENSITIVITY_COLUMNS), index=pd.Index([], name="input"))
    df = pd.DataFrame.from_records(list(rows)).set_index("input")
    first = [c for c in _SENSITIVITY_COLUMNS if c in df.columns]
    df = df[first + [c for c in df.columns if c not in first]]
    df.attrs.update({"base_p_hit": base_p_hit, "swing": swing})
    return df


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
        The single ranking of earlier versions: one per input: ``input`` (label),
        ``kind`` (conversion_rate, lead_volume, deal_size), ``stage`` (from-stage for
        rates), ``low_value``, ``base_value``, ``high_value`` (the input's mean at each
        setting), ``how`` (what low/high mean), ``p_hit_low``, ``p_hit_base``,
        ``p_hit_high``, ``effect`` (p_hit_high - p_hit_low). Sorted by effect, largest
        first.
    trials, seed : int
    uncertainty_rows : tuple of dict
        Rows of :attr:`uncertainty` (same keys), largest effect first.
    lever_rows : tuple of dict
        Rows of :attr:`levers` (same keys), largest effect first.
    """

    target: float
    base_p_hit: float
    swing: float
    method: str
    rows: tuple[dict[str, Any], ...]
    trials: int
    seed: int
    uncertainty_rows: tuple[dict[str, Any], ...] = ()
    lever_rows: tuple[dict[str, Any], ...] = ()

    @property
    def uncertainty(self) -> pd.DataFrame:
        """What we do not know: each input at its posterior (or sampling) P10 and P90.

        Rates given as counts at their Beta posterior's P10/P90 (with channels, every
        channel's rate at its own), the mean deal size at the P10/P90 of its sampling
        error (when the number of deals behind it is known), the lead volume at the
        P10/P90 of its own spread. Fixed inputs have no row. Same columns as
        :meth:`to_frame`.
        """
        return _frame(self.uncertainty_rows, self.base_p_hit, self.swing)

    @property
    def levers(self) -> pd.DataFrame:
        """What a plan could change: each plan input -/+ ``swing``.

        The lead volume, each conversion rate and the deal size. Same columns as
        :meth:`to_frame`.
        """
        return _frame(self.lever_rows, self.base_p_hit, self.swing)

    def to_frame(self) -> pd.DataFrame:
        """The sensitivity table, indexed by input, largest effect first.

        Columns come in one order whatever input ranks first: ``kind``, ``stage``,
        ``low_value``, ``base_value``, ``high_value``, ``how``, ``p_hit_low``,
        ``p_hit_base``, ``p_hit_high``, ``effect`` (then anything else a row carries).
        """
        return _frame(self.rows, self.base_p_hit, self.swing)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target": self.target,
            "base_p_hit": self.base_p_hit,
            "swing": self.swing,
            "method": self.method,
            "rows": [dict(r) for r in self.rows],
            "uncertainty": [dict(r) for r in self.uncertainty_rows],
            "levers": [dict(r) for r in self.lever_rows],
            "trials": self.trials,
            "seed": self.seed,
        }


@shared_doc(parameters={**LEADS, **FUNNEL, **SEARCH})
def sensitivity(
    model: FunnelModel | None = None,
    *,
    target: float,
    swing: float = 0.1,
    method: str = "posterior",
    trials: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    memory_gb: float | None = None,
    deal_size_n: int | None = None,
    leads: int | LeadVolume | None = None,
    stages: Sequence[str] | None = None,
    rates: Sequence[float | tuple[int, int]] | None = None,
    deal_size: float | tuple[float, float] | DealSize | None = None,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float | None = None,
    carry_in: bool | None = None,
) -> SensitivityResult:
    """Change in P(hit) when each input moves to a low and a high value, in two tables.

    :attr:`SensitivityResult.uncertainty` (each input at the P10/P90 of what we know about
    it) and :attr:`SensitivityResult.levers` (each plan input -/+ ``swing``); the single
    ranking below stays in :attr:`SensitivityResult.rows`.

    Each conversion rate, the lead volume and the deal size move in turn, on common random
    numbers:

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
    model : FunnelModel, optional
        The funnel, at the lead volume to assess; or give the funnel keywords instead, as
        in :func:`simulate_funnel`.
    target : float
        Bookings target.
    swing : float
        Relative move, in (0, 1).
    method : {"posterior", "relative"}
        How rates given as counts move.
    trials : int, optional
        Common random numbers drawn; default :data:`DEFAULT_SEARCH_TRIALS`.
    deal_size_n : int, optional
        Won deals the deal size was measured on: the uncertainty table then moves the
        mean deal size to the P10/P90 of its sampling error (``spread / sqrt(n)``).

    Returns
    -------
    SensitivityResult

    Notes
    -----
    Only this quarter's lead window (and the later ones, which run the same plan) moves
    with the lead volume; earlier windows keep their leads, as in
    :func:`~alignlib.simulation.plan_for_confidence`. With channels a rate lever moves
    every channel's rate at that stage by the same factor, and the deal size lever every
    channel's deal size.
    """
    s = _check_nonnegative(swing, "swing")
    if not (0.0 < s < 1.0):
        raise InputError(f"swing: {swing!r} must be between 0 and 1 (0.1 = ±10%)")
    if method not in ("posterior", "relative"):
        raise InputError(f"method: {method!r} must be 'posterior' or 'relative'")
    model, n, entropy = checked_inputs(
        model,
        DEFAULT_SEARCH_TRIALS if trials is None else trials,
        seed,
        rng,
        "sensitivity",
        {
            "leads": leads,
            "stages": stages,
            "rates": rates,
            "deal_size": deal_size,
            "lags": lags,
            "quarter_days": quarter_days,
            "lead_window_start": lead_window_start,
            "carry_in": carry_in,
        },
    )
    if deal_size_n is not None and (isinstance(deal_size_n, bool) or int(deal_size_n) < 1):
        raise InputError(f"deal_size_n: {deal_size_n!r} must be a whole number >= 1")
    crn = CommonRandomNumbers.draw(model, n, entropy, memory_gb=memory_gb, where="sensitivity")
    base_leads = model.leads.mean
    base = crn.p_hit(target, base_leads)
    uncertainty = _uncertainty_rows(crn, model, float(target), deal_size_n)
    levers = _lever_rows(crn, model, float(target), s)
    by_kind_stage = {(r["kind"], r["stage"]): r for r in uncertainty}
    rows: list[dict[str, Any]] = []
    # the single ranking of earlier versions: rates as `method` says, volume and deal
    # size -/+ swing
    for lever in levers:
        if lever["kind"] == "conversion_rate":
            rate = model.rates[model.stages.index(lever["stage"])]
            posterior = by_kind_stage.get(("conversion_rate", lever["stage"]))
            use = posterior if rate.fixed is None and method == "posterior" else lever
            rows.append(dict(use) if use is not None else dict(lever))
    rows += [dict(r) for r in levers if r["kind"] != "conversion_rate"]
    for group in (uncertainty, levers, rows):
        for r in group:
            r["p_hit_base"] = base
            r["effect"] = r["p_hit_high"] - r["p_hit_low"]
        group.sort(key=lambda r: -abs(r["effect"]))
    return SensitivityResult(
        target=float(target),
        base_p_hit=base,
        swing=s,
        method=method,
        rows=tuple(rows),
        trials=crn.trials,
        seed=crn.seed,
        uncertainty_rows=tuple(uncertainty),
        lever_rows=tuple(levers),
    )


def _uncertainty_rows(
    crn: CommonRandomNumbers, model: FunnelModel, target: float, deal_size_n: int | None
) -> list[dict[str, Any]]:
    """Each uncertain input at the P10 and the P90 of what we know about it."""
    from scipy import stats

    lo_q, hi_q = UNCERTAINTY_QUANTILES
    where = _range_words(lo_q, hi_q)
    base_leads = model.leads.mean
    rows: list[dict[str, Any]] = []
    shares = model.channel_shares
    for i, rate in enumerate(model.rates):
        row: dict[str, Any] = {
            "input": f"conversion {model.transitions[i]}",
            "kind": "conversion_rate",
            "stage": rate.stage,
            "base_value": rate.mean,
        }
        if model.channels:
            ends = _channel_ends(crn, model, i, (lo_q, hi_q))
            if ends is None:
                continue
            ch_rates = [ch.rates[i] for ch in model.channels]
            row |= {
                "base_value": float(shares @ [r.mean for r in ch_rates]),
                "low_value": float(shares @ ends[0]),
                "high_value": float(shares @ ends[1]),
                "how": f"{where} of the channels' rates, weighted",
                "p_hit_low": crn.p_hit(target, base_leads, channel_rate_values={i: ends[0]}),
                "p_hit_high": crn.p_hit(target, base_leads, channel_rate_values={i: ends[1]}),
            }
        else:
            if rate.fixed is not None:
                continue
            a, b = 1.0 + rate.converted, 1.0 + rate.total - rate.converted
            lo_v, hi_v = (float(x) for x in stats.beta.ppf([lo_q, hi_q], a, b))
            row |= {
                "low_value": lo_v,
                "high_value": hi_v,
                "how": f"{where} of the rate ({rate.converted:,.0f} of {rate.total:,.0f})",
                "p_hit_low": crn.p_hit(target, base_leads, rate_values={i: lo_v}),
                "p_hit_high": crn.p_hit(target, base_leads, rate_values={i: hi_v}),
            }
        rows.append(row)
    volume = _volume_row(crn, model, target, lo_q, hi_q)
    if volume is not None:
        rows.append(volume)
    d = model.deal_size
    if deal_size_n is not None and d.spread > 0:
        se = d.spread / math.sqrt(int(deal_size_n))
        z = float(stats.norm.ppf(hi_q))
        lo_f, hi_f = max(1.0 - z * se / d.mean, 0.0), 1.0 + z * se / d.mean
        rows.append(
            {
                "input": "deal size",
                "kind": "deal_size",
                "stage": model.stages[-1],
                "low_value": d.mean * lo_f,
                "base_value": d.mean,
                "high_value": d.mean * hi_f,
                "how": f"{where} of the average deal ({int(deal_size_n):,} deals)",
                "p_hit_low": crn.p_hit(target, base_leads, None, lo_f),
                "p_hit_high": crn.p_hit(target, base_leads, None, hi_f),
            }
        )
    return rows


def _channel_ends(
    crn: CommonRandomNumbers, model: FunnelModel, i: int, quantiles: tuple[float, float]
) -> tuple[list[float], list[float]] | None:
    """Per channel, its rate out of stage ``i`` at the low and the high end.

    The ends are the P10/P90 of the channels' rates weighted by what each contributes to
    wins (share x the mean of its other rates), reached by moving every channel to the
    same quantile ``alpha`` of its own posterior (None when every channel's rate is fixed).
    """
    from scipy import optimize, stats

    rates = [ch.rates[i] for ch in model.channels]
    if all(r.fixed is not None for r in rates):
        return None
    assert crn.channel_rate_draws is not None
    weights = np.array(
        [
            ch.share * math.prod(r.mean for j, r in enumerate(ch.rates) if j != i)
            for ch in model.channels
        ]
    )
    weights = weights / weights.sum()
    mixed = weights @ crn.channel_rate_draws[:, i]

    def at(alpha: float) -> list[float]:
        return [
            r.fixed
            if r.fixed is not None
            else float(stats.beta.ppf(alpha, 1.0 + r.converted, 1.0 + r.total - r.converted))
            for r in rates
        ]

    ends = []
    for q in quantiles:
        goal = float(np.quantile(mixed, q))
        lo, hi = 1e-9, 1.0 - 1e-9
        f_lo, f_hi = weights @ at(lo) - goal, weights @ at(hi) - goal
        if f_lo * f_hi > 0:
            alpha = q
        else:
            alpha = optimize.brentq(lambda a, g=goal: weights @ at(a) - g, lo, hi)
        ends.append(at(float(alpha)))
    return ends[0], ends[1]


def _volume_row(
    crn: CommonRandomNumbers, model: FunnelModel, target: float, lo_q: float, hi_q: float
) -> dict[str, Any] | None:
    """The lead volume at the P10/P90 of its own spread (none for a fixed volume)."""
    from scipy import stats

    volume = model.leads
    mean = volume.mean
    where = _range_words(lo_q, hi_q)
    row: dict[str, Any] = {
        "input": "lead volume",
        "kind": "lead_volume",
        "stage": model.stages[0],
        "base_value": mean,
    }
    if volume.kind == "fixed" or mean <= 0:
        return None
    if volume.kind == "monthly" and volume.cv > 0:
        # the window's level: sum of share_m x G_m, as a gamma with its mean (1) and variance
        shares = np.asarray(volume.monthly_means) / mean
        inv = np.array([0.0 if math.isinf(sh) else 1.0 / sh for sh in volume.gamma_shapes()])
        var = float((shares**2 * inv).sum())
        shape = 1.0 / var
        lo_l, hi_l = (float(x) for x in stats.gamma.ppf([lo_q, hi_q], shape, scale=1.0 / shape))
        pinned = [replace(crn, month_noise=np.full_like(crn.month_noise, v)) for v in (lo_l, hi_l)]
        return row | {
            "low_value": mean * lo_l,
            "high_value": mean * hi_l,
            "how": f"{where} of its level (varies {volume.cv:.0%} month to month)",
            "p_hit_low": pinned[0].p_hit(target, mean),
            "p_hit_high": pinned[1].p_hit(target, mean),
        }
    lo_v, hi_v = (float(x) for x in stats.poisson.ppf([lo_q, hi_q], mean))
    return row | {
        "low_value": lo_v,
        "high_value": hi_v,
        "how": f"{where} of random monthly arrivals",
        "p_hit_low": crn.p_hit(target, lo_v),
        "p_hit_high": crn.p_hit(target, hi_v),
    }


def _lever_rows(
    crn: CommonRandomNumbers, model: FunnelModel, target: float, s: float
) -> list[dict[str, Any]]:
    """Each plan input -/+ ``s``: lead volume, each conversion rate, deal size."""
    base_leads = model.leads.mean
    n_rates = len(model.rates)
    rows: list[dict[str, Any]] = []
    how = f"-/+{s:.0%} relative"
    for i, rate in enumerate(model.rates):
        factors = []
        for f in (1.0 - s, 1.0 + s):
            fac = np.ones(n_rates)
            fac[i] = f
            factors.append(fac)
        if model.channels:
            assert crn.channel_rate_draws is not None
            draws = (crn.channel_rate_draws[:, i] * model.channel_shares[:, None]).sum(axis=0)
        else:
            draws = crn.rate_draws[i]
        rows.append(
            {
                "input": f"conversion {model.transitions[i]}",
                "kind": "conversion_rate",
                "stage": rate.stage,
                "low_value": float(np.clip(draws * (1 - s), 0, 1).mean()),
                "base_value": rate.mean,
                "high_value": float(np.clip(draws * (1 + s), 0, 1).mean()),
                "how": how,
                "p_hit_low": crn.p_hit(target, base_leads, factors[0]),
                "p_hit_high": crn.p_hit(target, base_leads, factors[1]),
            }
        )
    rows.append(
        {
            "input": "lead volume",
            "kind": "lead_volume",
            "stage": model.stages[0],
            "low_value": base_leads * (1 - s),
            "base_value": base_leads,
            "high_value": base_leads * (1 + s),
            "how": how,
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
            "how": how,
            "p_hit_low": crn.p_hit(target, base_leads, None, 1 - s),
            "p_hit_high": crn.p_hit(target, base_leads, None, 1 + s),
        }
    )
    return rows
