"""Which input moves P(hit) most.

Each conversion rate, the lead volume and the deal size moved to a low and a high value, on
common random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
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
    model: FunnelModel | None = None,
    *,
    target: float,
    swing: float = 0.1,
    method: str = "posterior",
    trials: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    memory_gb: float | None = None,
    leads: int | LeadVolume | None = None,
    stages: Sequence[str] | None = None,
    rates: Sequence[float | tuple[int, int]] | None = None,
    deal_size: float | tuple[float, float] | DealSize | None = None,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float | None = None,
    carry_in: bool | None = None,
) -> SensitivityResult:
    """Change in P(hit) when each input moves to a low and a high value.

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
    seed, rng
        As in :func:`simulate_funnel`.
    memory_gb : float, optional
        Memory budget in GB for the common random numbers (default as in
        :func:`simulate_funnel`); too many trials are refused before drawing.
    leads, stages, rates, deal_size, lags, quarter_days, lead_window_start, carry_in
        Keyword form, as in :func:`simulate_funnel`.

    Returns
    -------
    SensitivityResult
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
    crn = CommonRandomNumbers.draw(model, n, entropy, memory_gb=memory_gb, where="sensitivity")
    base_leads = model.leads.mean
    base = crn.p_hit(target, base_leads)
    rows: list[dict[str, Any]] = []
    n_rates = len(model.rates)
    from scipy import stats

    for i, rate in enumerate(model.rates):
        row: dict[str, Any] = {
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
