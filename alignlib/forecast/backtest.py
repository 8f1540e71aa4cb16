"""The backtest: every past quarter forecast again from what was known then, and scored.

For each past quarter with enough history (:data:`MIN_HISTORY_MONTHS` complete months of
contacts before it starts, and the quarter closed before the export was taken), the
funnel is learned again from the table as it stood at each forecast date
(:func:`alignlib.history.funnel.table_as_of` and :func:`alignlib.history.funnel.learn`: rates, lags,
deal size, lead volume and its trend), as a run on that day would have learned it, and
the quarter is forecast:

* ``plan``: at the quarter's start, the steady-state simulation of the whole quarter
  (as the plan runs it), with the history's projected volume, not the params' plan: the
  backtest checks the model, not the plan;
* ``week N``: the landing forecast (booked + open pipeline + not yet created) at the end
  of the day before the quarter's week N starts (week 0: nothing booked yet).

Each forecast is scored against what was booked: whether the 50% (p25-p75) and 80%
(p10-p90) ranges held it, its PIT value, its CRPS, and the error of its median.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.forecast.curves import stage_dates
from alignlib.forecast.cuts import TableCuts
from alignlib.forecast.landing import (
    DEFAULT_LANDING_TRIALS,
    landing_from_table,
    model_from_history,
    require_actuals,
)
from alignlib.forecast.new_leads import child_seed, simulate_plan_time
from alignlib.forecast.scoring import Distribution, crps, inside, pit
from alignlib.forecast.stationarity import Stationarity, stationarity
from alignlib.forecast.uncertainty import uncertainty_from
from alignlib.forecast.volume import volume_from_history
from alignlib.history.funnel import learn, learn_deal_size
from alignlib.metrics._table import table_doc
from alignlib.simulation import DealSize

if TYPE_CHECKING:
    from alignlib.crm.table import IngestResult
    from alignlib.params import QuarterParams

#: Complete months of contacts needed before a quarter starts for it to be backtested.
MIN_HISTORY_MONTHS = 6

#: Trials per forecast point in a backtest when not given.
DEFAULT_BACKTEST_TRIALS = 10_000

#: The name of the plan-time point.
PLAN_POINT = "plan"


@dataclass(frozen=True)
class PointScore:
    """Scores of one kind of forecast point (``plan``, ``week 0``, ...) over the quarters.

    Attributes
    ----------
    point : str
        Which point.
    n : int
        Quarters scored.
    coverage_50, coverage_80 : float
        Share of actuals inside the p25-p75 and p10-p90 ranges.
    crps : float
        Mean CRPS (money).
    bias : float
        Mean relative error of the median, ``(p50 - actual) / actual``.
    mae : float
        Mean absolute error of the median (money).
    """

    point: str
    n: int
    coverage_50: float
    coverage_80: float
    crps: float
    bias: float
    mae: float


def _score(rows: pd.DataFrame, point: str) -> PointScore:
    if not len(rows):
        nan = float("nan")
        return PointScore(point, 0, nan, nan, nan, nan, nan)
    positive = rows["actual"] > 0
    rel = (rows.loc[positive, "p50"] - rows.loc[positive, "actual"]) / rows.loc[positive, "actual"]
    return PointScore(
        point=point,
        n=len(rows),
        coverage_50=float(rows["inside_50"].mean()),
        coverage_80=float(rows["inside_80"].mean()),
        crps=float(rows["crps"].mean()),
        bias=float(rel.mean()) if len(rel) else float("nan"),
        mae=float((rows["p50"] - rows["actual"]).abs().mean()),
    )


@dataclass(frozen=True)
class Backtest:
    """Past quarters forecast again and scored.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per quarter and forecast point: ``quarter``, ``point``, ``as_of``,
        ``p10``, ``p25``, ``p50``, ``p75``, ``p90``, ``mean``, ``actual``, ``target``,
        ``p_hit``, ``hit``, ``pit``, ``crps``, ``inside_50``, ``inside_80``.
    skipped : pandas.DataFrame
        Quarters that could not be backtested and why (``quarter``, ``reason``).
    by_point : tuple of PointScore
        Scores per forecast point.
    points : tuple of str
        The forecast points, in order.
    currency : str
        For printing.
    overall : PointScore
        The scores over every quarter and forecast point together (computed from ``rows``).
    stationarity : Stationarity or None
        Whether the whole history's conversion and lead volume stood still
        (:mod:`alignlib.forecast.stationarity`).
    """

    rows: pd.DataFrame
    skipped: pd.DataFrame
    by_point: tuple[PointScore, ...]
    points: tuple[str, ...]
    currency: str = "USD"
    overall: PointScore = field(init=False)
    stationarity: Stationarity | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "overall", _score(self.rows, "all"))

    @property
    def quarters(self) -> int:
        """Quarters scored."""
        return int(self.rows["quarter"].nunique()) if len(self.rows) else 0

    @property
    def coverage_50(self) -> float:
        """Share of all forecasts whose p25-p75 range held the actual."""
        return self.overall.coverage_50

    @property
    def coverage_80(self) -> float:
        """Share of all forecasts whose p10-p90 range held the actual."""
        return self.overall.coverage_80

    @property
    def crps(self) -> float:
        """Mean CRPS over all forecasts (money)."""
        return self.overall.crps

    @property
    def bias(self) -> float:
        """Mean relative error of the median over all forecasts (0.12 = 12% too high)."""
        return self.overall.bias

    @property
    def brier(self) -> float:
        """Mean squared error of ``p_hit`` against whether the target was hit."""
        ok = self.rows["p_hit"].notna() if len(self.rows) else pd.Series([], dtype=bool)
        if not ok.any():
            return float("nan")
        r = self.rows.loc[ok]
        return float(((r["p_hit"] - r["hit"].astype(float)) ** 2).mean())

    def point(self, name: str) -> PointScore:
        """The scores of one forecast point.

        Parameters
        ----------
        name : str
            ``plan``, ``week 0``, ...

        Returns
        -------
        PointScore
        """
        for score in self.by_point:
            if score.point == name:
                return score
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """The per-quarter, per-point rows.

        Returns
        -------
        pandas.DataFrame
        """
        return self.rows.copy()

    def scores_frame(self) -> pd.DataFrame:
        """Scores per forecast point and over all, one row each.

        Returns
        -------
        pandas.DataFrame
        """
        scores = [*self.by_point, self.overall]
        return pd.DataFrame([s.__dict__ for s in scores]).set_index("point")

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON: ``quarters`` rows, ``coverage_50``, ``coverage_80``, ``crps``, ``bias``.

        Returns
        -------
        dict
        """
        rows = self.rows.copy()
        if len(rows):
            rows["as_of"] = rows["as_of"].dt.strftime("%Y-%m-%d")
        return {
            "quarters": rows.to_dict(orient="records"),
            "coverage_50": self.coverage_50,
            "coverage_80": self.coverage_80,
            "crps": self.crps,
            "bias": self.bias,
            "brier": self.brier,
            "n_quarters": self.quarters,
            "by_point": {
                s.point: {k: v for k, v in s.__dict__.items() if k != "point"}
                for s in self.by_point
            },
            "skipped": self.skipped.to_dict(orient="records"),
            "stationarity": None if self.stationarity is None else self.stationarity.to_dict(),
        }


@table_doc
def backtest_quarters(
    table: pd.DataFrame, as_of: pd.Timestamp, min_history_months: int = MIN_HISTORY_MONTHS
) -> list[str]:
    """The quarters a table can backtest: enough history before, closed before ``as_of``.

    Parameters
    ----------
    as_of : pandas.Timestamp
        When the export was taken (a quarter must end on or before this day).
    min_history_months : int
        Complete months of contacts needed before the quarter starts.

    Returns
    -------
    list of str
        Quarters like ``2025Q3``, oldest first.
    """
    created = table["created"].dropna()
    if created.empty:
        return []
    first = created.min()
    first_month = first.to_period("M") + (1 if first.day > 3 else 0)
    earliest = (first_month + min_history_months).start_time
    last_day = pd.Timestamp(as_of).normalize()
    out = []
    q = earliest.to_period("Q")
    if q.start_time < earliest:
        q += 1
    while q.end_time.normalize() < last_day:
        out.append(str(q))
        q += 1
    return out


def _won_deals(table: pd.DataFrame, stages: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Close dates and amounts of the won deals (what :func:`booked_in` counts), once."""
    won_at = stage_dates(table, stages)[:, -1]
    lost = (table["outcome"] == "lost").to_numpy(dtype=bool, na_value=False)
    won = ~np.isnat(won_at) & ~lost
    return won_at[won], table["amount"].to_numpy(dtype=float)[won]


def _booked(
    won_at: np.ndarray,
    amount: np.ndarray,
    start: pd.Timestamp,
    end: pd.Timestamp,
    fallback: float | None,
) -> float:
    """:func:`booked_in`'s amount from :func:`_won_deals`' arrays."""
    s64 = np.datetime64(pd.Timestamp(start).to_datetime64(), "s")
    e64 = np.datetime64(pd.Timestamp(end).to_datetime64(), "s")
    inside = (won_at >= s64) & (won_at < e64)
    a = amount[inside]
    ok = np.isfinite(a) & (a > 0)
    return float(a[ok].sum()) + (fallback or 0.0) * int((~ok).sum())


def _history_at(cuts: TableCuts, cut: pd.Timestamp, stages: Sequence[str]) -> Any:
    seen = cuts.at(cut)
    return seen, learn(seen, cut, stages)


@table_doc
def backtest_table(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stage_names: Sequence[str],
    *,
    quarters: Sequence[str] | None = None,
    points: Sequence[int] = (0, 4, 8),
    trials: int = DEFAULT_BACKTEST_TRIALS,
    seed: int = 0,
    targets: Mapping[str, float] | None = None,
    min_history_months: int = MIN_HISTORY_MONTHS,
    currency: str = "USD",
    deal_size: DealSize | None = None,
) -> Backtest:
    """Backtest every past quarter of a normalised table (see the module's description).

    Parameters
    ----------
    as_of : Timestamp or str
        When it was taken.
    stage_names : sequence of str
        The funnel; the last stage is won.
    quarters : sequence of str, optional
        Quarters to backtest (default :func:`backtest_quarters`).
    points : sequence of int
        Weeks into the quarter of the landing forecasts.
    trials : int
        Trials per forecast.
    seed : int
        Root seed (the same for every forecast).
    targets : mapping, optional
        Quarter -> bookings target for ``p_hit``; a quarter without one is given the
        plan-time forecast's median (the target a plan with even odds would have set),
        so ``p_hit`` checks whether the odds moved the right way as the quarter went on.
    min_history_months : int
        See :func:`backtest_quarters`.
    currency : str
        For printing.
    deal_size : DealSize, optional
        Used only when no won deal in the whole table has an amount (the params'
        ``deal_size``): it values the forecasts and each won deal of the actual.

    Returns
    -------
    Backtest
        Quarters whose history teaches no rate, lag or deal size are listed in
        ``skipped`` with the reason, not scored.
    """
    stages = tuple(stage_names)
    as_of_ts = pd.Timestamp(as_of).normalize()
    wanted = (
        list(quarters)
        if quarters is not None
        else backtest_quarters(table, as_of_ts, min_history_months)
    )
    # amounts filled only on won deals (or only from some stage on) would tell the
    # backtest which deals win: trust a deal's own amount only in the stages where open
    # or lost deals carry one in the export
    amounts = table["amount"].to_numpy(dtype=float)
    not_won = table["outcome"].isin(["lost", "open"]).to_numpy(dtype=bool)
    carries = not_won & np.isfinite(amounts) & (amounts > 0)
    own_amounts = set(table.loc[carries, "stage"].dropna().astype(str))
    overall_deal = learn_deal_size(table)
    # An export without any amount: the params' deal size values every won deal.
    given = deal_size if overall_deal is None else None
    fallback = overall_deal.mean if overall_deal is not None else None
    if fallback is None and given is not None:
        fallback = given.mean
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    names = (PLAN_POINT, *(f"week {w}" for w in points))
    cuts = TableCuts(table, stages)  # one sort, reused by every forecast point
    won_at, won_amount = _won_deals(table, stages)
    for quarter in wanted:
        period = pd.Period(quarter, freq="Q")
        q_start = period.start_time.normalize()
        q_end = (period.end_time + pd.Timedelta(seconds=1)).normalize()
        if q_end > as_of_ts + pd.Timedelta(days=1):
            skipped.append({"quarter": quarter, "reason": "not closed before the export"})
            continue
        quarter_days = float((q_end - q_start).days)
        actual = _booked(won_at, won_amount, q_start, q_end, fallback)
        try:
            forecasts: list[tuple[str, pd.Timestamp, np.ndarray]] = []
            seen, history = _history_at(cuts, q_start, stages)
            base = model_from_history(history, quarter_days, given)
            plan = simulate_plan_time(
                base, volume_from_history(history), q_start, q_end, trials=trials, seed=seed
            )
            known = uncertainty_from(seen, q_start, stages, history.rates, history.maturity_days)
            shock = known.shocks(trials, np.random.Generator(np.random.PCG64(child_seed(seed, 4))))
            plan = plan * shock
            forecasts.append((PLAN_POINT, q_start - pd.Timedelta(days=1), plan))
            for w in points:
                cut = q_start + pd.Timedelta(days=7 * int(w))
                if cut >= q_end:
                    continue
                if cut != q_start:
                    seen, history = _history_at(cuts, cut, stages)
                    base = model_from_history(history, quarter_days, given)
                    known = uncertainty_from(
                        seen, cut, stages, history.rates, history.maturity_days
                    )
                f = landing_from_table(
                    seen,
                    cut - pd.Timedelta(days=1),
                    quarter,
                    stages,
                    base,
                    volume_from_history(history),
                    trials=trials,
                    seed=seed,
                    own_amounts=own_amounts,
                    table_is_cut=True,
                    uncertainty=known,
                )
                forecasts.append((f"week {w}", f.as_of, f.samples))
        except InputError as exc:
            skipped.append({"quarter": quarter, "reason": str(exc)})
            continue
        target = (targets or {}).get(quarter)
        if target is None:
            target = float(np.median(forecasts[0][2]))
        for name, when, samples in forecasts:
            d = Distribution.of(samples)
            rows.append(
                {
                    "quarter": quarter,
                    "point": name,
                    "as_of": when,
                    **d.to_dict(),
                    "actual": actual,
                    "target": target,
                    "p_hit": float((samples >= target).mean()),
                    "hit": bool(actual >= target),
                    "pit": pit(samples, actual),
                    "crps": crps(samples, actual),
                    "inside_50": inside(d.p25, d.p75, actual),
                    "inside_80": inside(d.p10, d.p90, actual),
                }
            )
    frame = pd.DataFrame(rows)
    if not len(frame):
        frame = pd.DataFrame(
            columns=[
                "quarter",
                "point",
                "as_of",
                "p10",
                "p25",
                "p50",
                "p75",
                "p90",
                "mean",
                "actual",
                "target",
                "p_hit",
                "hit",
                "pit",
                "crps",
                "inside_50",
                "inside_80",
            ]
        )
    by_point = tuple(_score(frame.loc[frame["point"] == n], n) for n in names)
    end = as_of_ts + pd.Timedelta(days=1)
    now_seen, now = _history_at(cuts, end, stages)
    moved = stationarity(now_seen, end, stages, now.maturity_days, now.monthly_volume)
    return Backtest(
        rows=frame,
        skipped=pd.DataFrame(skipped, columns=["quarter", "reason"]),
        by_point=by_point,
        points=names,
        currency=currency,
        stationarity=moved,
    )


def backtest(
    params: QuarterParams,
    *,
    quarters: Sequence[str] | None = None,
    points: Sequence[int] = (0, 4, 8),
    trials: int | None = None,
    seed: int | None = None,
    ingest: IngestResult | None = None,
    targets: Mapping[str, float] | None = None,
) -> Backtest:
    """Backtest the forecasts on every past quarter of the params file's actuals.

    One data load (``ingest``, or :func:`alignlib.crm.load_actuals` once); each forecast
    learns from the table as it stood on its date (:func:`backtest_table`).

    Parameters
    ----------
    params : QuarterParams
        A quarter with an ``actuals`` section (its funnel and currency; its rates, plan
        and target are not used: the backtest checks the model on what was known).
    quarters : sequence of str, optional
        Default every quarter with enough history before it.
    points : sequence of int
        Weeks into the quarter of the landing forecasts (default 0, 4 and 8).
    trials : int, optional
        Trials per forecast (default :data:`DEFAULT_BACKTEST_TRIALS`).
    seed : int, optional
        Default the file's ``simulation.seed``.
    ingest : IngestResult, optional
        An export already loaded.
    targets : mapping, optional
        Past quarters' targets (see :func:`backtest_table`).

    Returns
    -------
    Backtest

    Raises
    ------
    InputError
        Without actuals.
    """
    from alignlib import crm

    require_actuals(params, "backtest")
    from alignlib.crm.summary import require_closed_history

    ingest = ingest if ingest is not None else crm.load_actuals(params)
    require_closed_history(ingest, "the backtest")
    seed_value = params.simulation.seed if seed is None else seed
    return backtest_table(
        ingest.table,
        ingest.as_of,
        params.stage_names,
        quarters=quarters,
        points=points,
        trials=DEFAULT_BACKTEST_TRIALS if trials is None else trials,
        seed=0 if seed_value is None else seed_value,
        targets=targets,
        currency=params.currency,
        deal_size=_written_deal_size(params),
    )


def _written_deal_size(params: QuarterParams) -> DealSize | None:
    """The params file's own ``deal_size`` (None when it leaves it to the actuals)."""
    if params.deal_size is None or "deal_size" in (*params.pending_keys, *params.learned_keys):
        return None  # a placeholder until learned, or learned from the very amounts
    return DealSize(params.deal_size.mean, params.deal_size.spread)


__all__ = ["DEFAULT_LANDING_TRIALS", "Backtest", "PointScore", "backtest", "backtest_table"]
