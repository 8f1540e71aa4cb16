"""Per-trial outcomes of a simulation, with P(hit), quantiles and summary tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alignlib.docstrings import STAGES_DOC
from alignlib.errors import InputError
from alignlib.simulation.model import FunnelModel


def _readonly(a: np.ndarray) -> np.ndarray:
    if a.flags.writeable:
        a.flags.writeable = False
    return a


@STAGES_DOC
@dataclass(frozen=True)
class SimulationResult:
    """Per-trial outcomes of :func:`simulate_funnel` (arrays are read-only).

    Attributes
    ----------
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
        """Whether the model had stage lags (so revenue splits by closing date)."""
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
