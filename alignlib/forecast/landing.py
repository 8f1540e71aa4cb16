"""Where the quarter will land: booked so far + open pipeline + deals not yet created.

:func:`landing` reads a quarter's parameters and its CRM export;
:func:`landing_from_table` does the work on a normalised table with the funnel given
explicitly (the backtest calls it with what was known at each past date).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.errors import InputError
from alignlib.forecast.curves import stage_dates, win_curves
from alignlib.forecast.cuts import TableCuts
from alignlib.forecast.new_leads import child_seed, simulate_new_leads
from alignlib.forecast.pipeline import (
    describe_deals,
    open_deals,
    simulate_open_pipeline,
    top_deals,
)
from alignlib.forecast.scoring import Distribution
from alignlib.forecast.uncertainty import Uncertainty, uncertainty_from
from alignlib.forecast.volume import VolumeForecast, volume_from_history, volume_from_model
from alignlib.history.funnel import FunnelHistory, learn, require_rates
from alignlib.metrics._table import table_doc
from alignlib.simulation import DealSize, FunnelModel, Lag, build_model

if TYPE_CHECKING:
    from alignlib.crm.table import IngestResult
    from alignlib.params import QuarterParams

#: Trials of a landing forecast when the params file does not say.
DEFAULT_LANDING_TRIALS = 20_000

#: Open deals listed as the ones that matter most.
TOP_DEALS = 10

_PARTS = ("booked", "open_pipeline", "not_yet_created", "landing")


@dataclass(frozen=True)
class LandingForecast:
    """The distribution of a quarter's bookings, seen from a date inside (or before) it.

    Attributes
    ----------
    quarter : str
        The quarter, e.g. ``2026Q4``.
    as_of : pandas.Timestamp
        The forecast knows everything up to the end of this day.
    quarter_start, quarter_end : pandas.Timestamp
        First and last day of the quarter.
    booked, open_pipeline, not_yet_created, landing : Distribution
        Won so far inside the quarter (fixed), what the open deals bring, what leads still
        to come bring, and their sum.
    target : float or None
        The bookings target.
    p_hit : float or None
        P(landing >= target).
    booked_deals : int
        Won deals inside the quarter so far.
    open_deals : int
        Deals still open (any stage short of won).
    deals : pandas.DataFrame
        The open deals that matter most (amount x win chance): ids, stage, days in stage,
        win chance, amount, whether the amount is the deal's own, expected bookings, the
        deal's name (where the export has one), its owner and likely close date.
    samples : ndarray
        The landing per trial (for fans and scores).
    volume_source : str
        Where the leads still to come were taken from: ``plan`` or ``history``.
    """

    quarter: str
    as_of: pd.Timestamp
    quarter_start: pd.Timestamp
    quarter_end: pd.Timestamp
    booked: Distribution
    open_pipeline: Distribution
    not_yet_created: Distribution
    landing: Distribution
    target: float | None
    p_hit: float | None
    booked_deals: int
    open_deals: int
    deals: pd.DataFrame = field(repr=False)
    samples: np.ndarray = field(repr=False)
    volume_source: str = "plan"

    def to_frame(self) -> pd.DataFrame:
        """One row per part (booked, open_pipeline, not_yet_created, landing): quantiles and mean.

        Returns
        -------
        pandas.DataFrame
        """
        rows = {name: getattr(self, name).to_dict() for name in _PARTS}
        return pd.DataFrame.from_dict(rows, orient="index")

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON: the four parts with ``p10``, ``p50``, ``p90`` and ``mean``, ``p_hit``.

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {
            "quarter": self.quarter,
            "as_of": str(self.as_of.date()),
        }
        for name in _PARTS:
            d = getattr(self, name)
            out[name] = {"p10": d.p10, "p50": d.p50, "p90": d.p90, "mean": d.mean}
        out.update(
            target=self.target,
            p_hit=self.p_hit,
            booked_deals=self.booked_deals,
            open_deals=self.open_deals,
            volume_source=self.volume_source,
            top_deals=_dated(self.deals).to_dict(orient="records"),
        )
        return out


def model_from_history(
    history: FunnelHistory, quarter_days: float, deal_size: DealSize | None = None
) -> FunnelModel:
    """The funnel a history teaches: rates as counts, lags, deal size (leads set later).

    Parameters
    ----------
    history : FunnelHistory
        What the actuals taught.
    quarter_days : float
        Length of the quarter.
    deal_size : DealSize, optional
        The deal size to use when the history has no won deal with an amount (the
        params' ``deal_size`` for an export without amounts).

    Returns
    -------
    FunnelModel
        With a placeholder lead volume (one lead); lags where any was learned.

    Raises
    ------
    InputError
        When a transition has no rate, or no won deal has an amount and no
        ``deal_size`` is given.
    """
    stages = history.stage_names
    require_rates(history, stages[:-1])
    if history.deal_size is not None:
        deal_size = DealSize(history.deal_size.mean, history.deal_size.spread)
    elif deal_size is None:
        raise InputError(
            "no won deal with an amount before this date: no deal size to learn "
            "(give deal_size in the params file)"
        )
    lags = [
        Lag(history.lags[s].typical, history.lags[s].spread) if s in history.lags else Lag(0.0)
        for s in stages[:-1]
    ]
    timed = any(lag.typical > 0 for lag in lags)
    return build_model(
        leads=1,
        stages=stages,
        rates=[history.rates[s] for s in stages[:-1]],
        deal_size=deal_size,
        lags=lags if timed else None,
        quarter_days=quarter_days if timed else None,
    )


@table_doc
def booked_in(
    table: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    stage_names: Sequence[str],
    fallback: float | None = None,
) -> tuple[float, int]:
    """Bookings of the deals won between ``start`` (inclusive) and ``end`` (exclusive).

    Parameters
    ----------
    start : pandas.Timestamp
        The span's first day (inclusive).
    end : pandas.Timestamp
        The span's end (exclusive).
    stage_names : sequence of str
        The funnel.
    fallback : float, optional
        The amount of a won deal without one (default: not counted).

    Returns
    -------
    tuple of (float, int)
        Amount and number of deals.
    """
    dates = stage_dates(table, stage_names)
    won_at = dates[:, -1]
    s64 = np.datetime64(pd.Timestamp(start).to_datetime64(), "s")
    e64 = np.datetime64(pd.Timestamp(end).to_datetime64(), "s")
    lost = (table["outcome"] == "lost").to_numpy(dtype=bool, na_value=False)
    won = ~np.isnat(won_at) & (won_at >= s64) & (won_at < e64) & ~lost
    amount = table["amount"].to_numpy(dtype=float)[won]
    ok = np.isfinite(amount) & (amount > 0)
    total = float(amount[ok].sum()) + (fallback or 0.0) * int((~ok).sum())
    return total, int(won.sum())


def landing_from_table(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    quarter: str,
    stage_names: Sequence[str],
    base: FunnelModel,
    volume: VolumeForecast,
    *,
    deal_size: DealSize | None = None,
    trials: int = DEFAULT_LANDING_TRIALS,
    seed: int = 0,
    target: float | None = None,
    own_amounts: bool | Collection[str] = True,
    table_is_cut: bool = False,
    uncertainty: Uncertainty | bool = True,
) -> LandingForecast:
    """The landing forecast of ``quarter`` on a normalised table, as of the end of ``as_of``.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table (anything after ``as_of`` in it is ignored).
    as_of : Timestamp or str
        The forecast knows the table up to the end of this day.
    quarter : str
        The quarter, e.g. ``2026Q4``.
    stage_names : sequence of str
        The funnel, top to bottom; the last stage is won.
    base : FunnelModel
        Rates, lags and deal size of the leads still to come.
    volume : VolumeForecast
        How many leads are still to come.
    deal_size : DealSize, optional
        Amount of an open deal without its own (default ``base.deal_size``).
    trials : int
        Trials.
    seed : int
        Root seed.
    target : float, optional
        Bookings target for ``p_hit``.
    own_amounts : bool or collection of str
        Use open deals' own amounts (everywhere, nowhere, or in these stages) (see :func:`~alignlib.forecast.pipeline.open_deals`).
    table_is_cut : bool
        The table is already as it stood after ``as_of``
        (:func:`alignlib.history.funnel.table_as_of`); skips doing it again.
    uncertainty : Uncertainty or bool
        What the forecast does not know (:mod:`alignlib.forecast.uncertainty`): the
        curves' posterior and the quarter's conversion drift. True learns it from the
        table as it stood (the history's matured counts); False leaves it out (each
        deal's and lead's own luck only).

    Returns
    -------
    LandingForecast
        After the quarter, booked only (``p10 == p50 == p90``); before it, nothing
        booked and the open deals count only for wins inside the quarter.
    """
    stages = tuple(stage_names)
    period = pd.Period(quarter, freq="Q")
    q_start = period.start_time.normalize()
    q_end = (period.end_time + pd.Timedelta(seconds=1)).normalize()  # exclusive
    as_of_ts = pd.Timestamp(as_of).normalize()
    cut = as_of_ts + pd.Timedelta(days=1)
    deal = deal_size or base.deal_size
    # a cut that shares the columns it does not change (no copy of a large export)
    seen = table if table_is_cut else TableCuts(table, stages).at(cut)
    booked_amount, booked_n = booked_in(seen, q_start, min(cut, q_end), stages, deal.mean)
    horizon_end = int((q_end - cut).days) - 1
    horizon_start = max(0, int((q_start - cut).days))
    curves = win_curves(seen, cut, stages)
    deals = open_deals(
        seen,
        cut,
        stages,
        curves,
        (horizon_start, horizon_end),
        own_amounts=own_amounts,
        chance_only=True,
    )
    if uncertainty is True:
        known = learn(seen, cut, stages)
        uncertainty = uncertainty_from(seen, cut, stages, known.rates, known.maturity_days)
    shock, multipliers = np.ones(trials), None
    if isinstance(uncertainty, Uncertainty):
        shock, multipliers = uncertainty.multipliers(
            trials, np.random.Generator(np.random.PCG64(child_seed(seed, 4)))
        )
    rng = np.random.Generator(np.random.PCG64(child_seed(seed, 3)))
    pipeline = simulate_open_pipeline(deals, deal, trials, rng, multipliers)
    new = simulate_new_leads(base, volume, cut, q_start, q_end, trials=trials, seed=seed)
    # the quarter's conversion drift moves the leads still to come with the pipeline
    new = new * shock
    booked = np.full(trials, booked_amount)
    total = booked + pipeline + new
    p_hit = None if target is None else float((total >= target).mean())
    return LandingForecast(
        quarter=str(period),
        as_of=as_of_ts,
        quarter_start=q_start,
        quarter_end=q_end - pd.Timedelta(days=1),
        booked=Distribution.of(booked),
        open_pipeline=Distribution.of(pipeline),
        not_yet_created=Distribution.of(new),
        landing=Distribution.of(total),
        target=target,
        p_hit=p_hit,
        booked_deals=booked_n,
        open_deals=int((deals["win_chance"] > 0).sum()) if len(deals) else 0,
        deals=describe_deals(
            top_deals(deals, deal, TOP_DEALS), seen, curves, (horizon_start, horizon_end), cut
        ),
        samples=total,
        volume_source=volume.source,
    )


def _dated(deals: pd.DataFrame) -> pd.DataFrame:
    """The deals for JSON: the likely close as ISO day text, and no owner's name."""
    deals = deals.drop(columns=["owner"], errors="ignore")
    if "likely_close" not in deals:
        return deals
    days = pd.to_datetime(deals["likely_close"])
    return deals.assign(likely_close=[d.date().isoformat() if pd.notna(d) else None for d in days])


def require_actuals(params: QuarterParams, what: str) -> None:
    """Refuse a params file without actuals, naming the verb.

    Parameters
    ----------
    params : QuarterParams
        The quarter.
    what : str
        The verb (``forecast``, ``backtest``).

    Raises
    ------
    InputError
        When the file has no ``actuals`` section.
    """
    if params.actuals is None:
        where = f" ({params.source_path})" if params.source_path else ""
        raise InputError(
            f"{what} needs actuals: the params file{where} has no actuals section "
            "(add actuals: crm_export: PATH, or an sql source)"
        )


def landing(
    params: QuarterParams,
    as_of: pd.Timestamp | str | None = None,
    *,
    trials: int | None = None,
    seed: int | None = None,
    ingest: IngestResult | None = None,
    volume: str = "plan",
) -> LandingForecast:
    """Where the params file's quarter will land, as of a date: booked + pipeline + new.

    * **booked**: won deals closed inside the quarter up to the end of ``as_of``;
    * **open pipeline**: every open contact or deal, by its current stage and the days
      it has spent there, wins inside the quarter with its chance from the history's
      time-to-win curves (:mod:`alignlib.forecast.curves`), worth its own amount where
      the export has one and a lognormal deal otherwise;
    * **not yet created**: the simulation of the leads still to come (the plan's volume,
      rates, lags and deal size, or the history's volume with ``volume="history"``),
      counting the deals that close inside the quarter.

    Parameters
    ----------
    params : QuarterParams
        The quarter, with an ``actuals`` section.
    as_of : Timestamp or str, optional
        Default the export's date.
    trials : int, optional
        Default the file's ``simulation.trials``.
    seed : int, optional
        Default the file's ``simulation.seed``.
    ingest : IngestResult, optional
        An export already loaded (:func:`alignlib.crm.load_actuals`).
    volume : {"plan", "history"}
        Where the leads still to come are taken from.

    Returns
    -------
    LandingForecast

    Raises
    ------
    InputError
        Without actuals, or with an unknown ``volume``.
    """
    from alignlib import crm
    from alignlib.simulation import model_from_params

    require_actuals(params, "forecast")
    if volume not in ("plan", "history"):
        raise InputError(f"volume: {volume!r} must be 'plan' or 'history'")
    from alignlib.crm.summary import require_closed_history

    ingest = ingest if ingest is not None else crm.load_actuals(params)
    require_closed_history(ingest, "the forecast")
    as_of_ts = pd.Timestamp(ingest.as_of if as_of is None else as_of).normalize()
    stages = tuple(params.stage_names)
    base = model_from_params(params, carry_in=False)
    q_start = pd.Timestamp(params.quarter_start)
    # one cut and one history: the lags or volume it may lend, and the uncertainty
    cut = as_of_ts + pd.Timedelta(days=1)
    seen = TableCuts(ingest.table, stages).at(cut)
    history = learn(seen, cut, stages)
    if not base.has_lags and history.lags:
        lags = [history.lags.get(s) for s in stages[:-1]]
        model_lags = tuple(Lag(g.typical, g.spread) if g else Lag(0.0) for g in lags)
        if any(g.typical > 0 for g in model_lags):
            quarter_days = float((params.quarter_end - params.quarter_start).days + 1)
            import dataclasses

            base = dataclasses.replace(base, lags=model_lags, quarter_days=quarter_days)
    flow = (
        volume_from_history(history)
        if volume == "history"
        else volume_from_model(model_from_params(params), q_start)
    )
    seed_value = params.simulation.seed if seed is None else seed
    return landing_from_table(
        seen,
        as_of_ts,
        params.quarter,
        stages,
        base,
        flow,
        trials=params.simulation.trials if trials is None else trials,
        seed=0 if seed_value is None else seed_value,
        target=params.target.bookings,
        table_is_cut=True,
        uncertainty=uncertainty_from(seen, cut, stages, history.rates, history.maturity_days),
    )
