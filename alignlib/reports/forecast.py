"""The forecast sections: "Where we will land" (plan report), "How good have our forecasts been" (trend report).

:func:`landing_view` runs the landing forecast when the actuals' date lies inside the
plan's quarter; :func:`backtest_view` backtests the past quarters once, on the trend
report's data load. Each gives the sentences and tables its section shows, or the one line
that says why the section is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from alignlib.docstrings import PARAMS, shared_doc
from alignlib.errors import AlignError
from alignlib.format import count, money, money_compact, pct

if TYPE_CHECKING:
    from alignlib.crm.table import IngestResult
    from alignlib.forecast import Backtest, Calibration, LandingForecast
    from alignlib.params import QuarterParams

#: Most trials of the landing forecast in the plan report (its notebook passes ``trials``).
LANDING_TRIALS = 20_000

#: Most trials per past forecast in the trend report's backtest: with 4,000 the sample's
#: 24 forecasts take about five seconds, and their quantiles move by well under 1%.
BACKTEST_TRIALS = 4_000

#: Fewest backtested quarters from which the trend report shows the section.
MIN_BACKTEST_QUARTERS = 2

#: The two views run on the validated parameters, seeded as the file says unless told.
_VIEW_BUILDER = shared_doc(
    parameters={
        **PARAMS,
        "seed : int, optional": "Root seed (default the file's ``simulation.seed``).",
    }
)

#: The parts of "Where we will land": each reads one landing forecast.
_LANDING_PART = shared_doc(parameters={"forecast : LandingForecast": "A landing forecast."})

#: The parts of "How good have our forecasts been": each reads one shown view.
_BACKTEST_PART = shared_doc(parameters={"view : BacktestView": "A shown view."})


# -- Where we will land (quarterly plan) ------------------------------------------------


@dataclass(frozen=True)
class LandingView:
    """What "Where we will land" shows, or why it is left out.

    Attributes
    ----------
    forecast : LandingForecast or None
        The landing forecast; None when the section is left out.
    message : str or None
        The one line saying why the section is left out (None when it is shown).
    currency : str
        For money.
    stage_labels : dict
        Stage name -> label, for the deals table.
    trials : int
        Simulated quarters.
    """

    forecast: LandingForecast | None
    message: str | None
    currency: str = "USD"
    stage_labels: dict[str, str] = field(default_factory=dict)
    trials: int = 0

    @property
    def shown(self) -> bool:
        """Whether the section is shown."""
        return self.forecast is not None


def _day(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts:%b %Y}"


def _reason(exc: AlignError) -> str:
    """An error's first line: why a section is left out, in the one line that says so."""
    return str(exc).splitlines()[0]


@_VIEW_BUILDER
def landing_view(
    params: QuarterParams,
    *,
    trials: int,
    seed: int | None = None,
    ingest: IngestResult | None = None,
) -> LandingView:
    """The landing forecast for the plan report, when the actuals' date is inside the quarter.

    Parameters
    ----------
    trials : int
        The report's trials (capped at :data:`LANDING_TRIALS`).
    ingest : IngestResult, optional
        The actuals already loaded (default: loaded here).

    Returns
    -------
    LandingView
        Left out, with one line saying why, without actuals, when the actuals end before
        the quarter starts or after it ends, or when they cannot teach a forecast.
    """
    from alignlib.forecast import landing
    from alignlib.history.learning import read_actuals

    currency = params.currency

    def left_out(message: str) -> LandingView:
        return LandingView(None, message, currency)

    if params.actuals is None:
        return left_out(
            "Where we will land needs a CRM export (actuals) from inside the quarter: left out."
        )
    try:
        ingest = ingest if ingest is not None else read_actuals(params)
    except AlignError as exc:
        return left_out(
            f"Where we will land is left out: the actuals could not be read ({_reason(exc)})."
        )
    as_of = pd.Timestamp(ingest.as_of).normalize()
    start = pd.Timestamp(params.quarter_start).normalize()
    end = pd.Timestamp(params.quarter_end).normalize()
    span = f"{params.quarter}, {_day(start)} to {_day(end)}"
    if as_of < start:
        return left_out(
            f"The actuals run to {_day(as_of)}, before the quarter starts ({span}): where we "
            "will land is shown once the quarter is under way."
        )
    if as_of >= end:
        return left_out(
            f"The actuals run to {_day(as_of)}, after the quarter ends ({span}): it has "
            "landed, so the forecast of where it will land is left out (actuals against "
            "plan shows what was booked)."
        )
    n = max(1, min(int(trials), LANDING_TRIALS))
    try:
        forecast = landing(params, as_of, trials=n, seed=seed, ingest=ingest)
    except AlignError as exc:
        return left_out(
            f"Where we will land is left out: the actuals cannot teach it ({_reason(exc)})."
        )
    return LandingView(forecast, None, currency, dict(params.stage_labels), n)


@_LANDING_PART
def landing_sentence(forecast: LandingForecast, currency: str = "USD") -> str:
    """The headline: booked so far, the most likely landing, its 80% range, the odds.

    Parameters
    ----------
    currency : str
        For money.

    Returns
    -------
    str
        E.g. "As of 19 Nov: $1.2M booked; we will most likely land at $2.34M (80% range
        $2.14M-$2.56M); 36% chance of hitting $2.4M."
    """
    land = forecast.landing
    text = (
        f"As of {forecast.as_of.day} {forecast.as_of:%b}: "
        f"{money_compact(forecast.booked.p50, currency)} booked; we will most likely land at "
        f"{money_compact(land.p50, currency)} (80% range {money_compact(land.p10, currency)}-"
        f"{money_compact(land.p90, currency)})"
    )
    if forecast.target is not None and forecast.p_hit is not None:
        text += (
            f"; {pct(forecast.p_hit)} chance of hitting {money_compact(forecast.target, currency)}"
        )
    return text + "."


def landing_method(view: LandingView) -> str:
    """How the landing was built, in one paragraph: booked, open pipeline, not yet created.

    Parameters
    ----------
    view : LandingView
        A shown view.

    Returns
    -------
    str
    """
    f = view.forecast
    if f is None:
        return ""
    deals = "deal" if f.booked_deals == 1 else "deals"
    source = "the plan's" if f.volume_source == "plan" else "the history's"
    return (
        f"Booked: {count(f.booked_deals)} {deals} won since {_day(f.quarter_start)}. "
        f"Open pipeline: {count(f.open_deals)} open contacts and deals, each with its chance "
        f"to win by {_day(f.quarter_end)} from how long deals in its stage, and that long in "
        "it, took to win before (its own amount where the export has one, the typical deal "
        f"otherwise). Not yet created: the leads still to come, at {source} volume, rates "
        f"and lags. {count(view.trials)} simulated quarters."
    )


_PART_LABELS = {
    "booked": "Booked so far",
    "open_pipeline": "Open pipeline",
    "not_yet_created": "Not yet created",
    "landing": "Where we land",
}


@_LANDING_PART
def landing_parts_table(forecast: LandingForecast) -> pd.DataFrame:
    """The landing and its three parts: low (P10), most likely (P50), high (P90), average.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``part``; columns ``p10``, ``p50``, ``p90``, ``mean`` (money). The
        parts' medians need not add up to the landing's.
    """
    frame = forecast.to_frame()[["p10", "p50", "p90", "mean"]]
    frame.index = pd.Index([_PART_LABELS.get(str(i), str(i)) for i in frame.index], name="part")
    return frame


#: Headers of :func:`landing_parts_table` for readers.
PARTS_LABELS = {
    "p10": "Pessimistic (1 in 10 lower)",
    "p50": "Most likely",
    "p90": "Optimistic (1 in 10 higher)",
    "mean": "Average",
}


#: Columns of :func:`landing_deals_table`, in order.
DEALS_COLUMNS = ("deal", "stage", "amount", "likely_close", "owner", "win_chance", "expected")


@_LANDING_PART
def landing_deals_table(
    forecast: LandingForecast, stage_labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """The open deals that matter most to the landing, by expected bookings, largest first.

    Parameters
    ----------
    stage_labels : dict, optional
        Stage name -> label.

    Returns
    -------
    pandas.DataFrame
        Columns ``deal`` (the deal's or account's name from the export, else its CRM id),
        ``stage``, ``amount`` (the deal's own; missing where the typical deal stands in:
        :func:`deals_note` says so once), ``likely_close`` (if it wins this quarter),
        ``owner`` (anonymised: :func:`anonymised_owners`), ``win_chance`` (to win inside
        the quarter) and ``expected`` (amount x win chance). No contact's name or e-mail,
        no owner's name. Empty when no open deal can win inside the quarter.
    """
    deals = forecast.deals
    cols = list(DEALS_COLUMNS)
    if deals is None or not len(deals):
        return pd.DataFrame(columns=cols)
    labels = stage_labels or {}
    names = deals["name"].astype(str) if "name" in deals else pd.Series("", index=deals.index)
    ids = deals["id"].astype(str)
    own = deals["amount_known"].astype(bool)
    close = (
        deals["likely_close"] if "likely_close" in deals else pd.Series(pd.NaT, index=deals.index)
    )
    return (
        pd.DataFrame(
            {
                "deal": names.where(names.str.strip() != "", "CRM id " + ids),
                "stage": [labels.get(str(s), str(s)) for s in deals["stage"]],
                "amount": deals["amount"].astype(float).where(own),
                "likely_close": pd.to_datetime(close),
                "owner": anonymised_owners(
                    deals["owner"] if "owner" in deals else None, len(deals)
                ),
                "win_chance": deals["win_chance"].astype(float),
                "expected": deals["expected"].astype(float),
            }
        )[cols]
        .sort_values("expected", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def anonymised_owners(owners: pd.Series | None, n: int) -> list[str]:
    """Owners as pages show them: ``Rep A``, ``Rep B`` ... in order of first appearance.

    A person's name stays in the export (as in the trend report's SLA by owner); the
    letters still show which listed deals share an owner.

    Parameters
    ----------
    owners : pandas.Series or None
        The owner of each listed deal (blank or missing: no owner).
    n : int
        Rows listed.

    Returns
    -------
    list of str
        One label per row; ``—`` where the deal has no owner.
    """
    if owners is None:
        return ["—"] * n
    letters: dict[str, str] = {}
    out = []
    for owner in owners.astype(object):
        key = "" if owner is None or pd.isna(owner) else str(owner).strip()
        if not key:
            out.append("—")
            continue
        if key not in letters:
            i = len(letters)
            letters[key] = f"Rep {chr(65 + i)}" if i < 26 else f"Rep {i + 1}"
        out.append(letters[key])
    return out


@_LANDING_PART
def deals_note(forecast: LandingForecast, currency: str, typical: float | None = None) -> str:
    """What the deal list's blank amounts mean, said once under the list.

    Parameters
    ----------
    currency : str
        ISO code.
    typical : float, optional
        The typical deal the blanks stand for (default: the listed deals' own stand-in).

    Returns
    -------
    str
        ``""`` when every listed deal has its own amount.
    """
    deals = forecast.deals
    if deals is None or not len(deals) or bool(deals["amount_known"].all()):
        return ""
    stand_in = deals.loc[~deals["amount_known"].astype(bool), "amount"]
    value = float(stand_in.iloc[0]) if typical is None else float(typical)
    which = "No listed deal has" if not bool(deals["amount_known"].any()) else "A blank amount:"
    tail = "an amount in the export" if which.startswith("No") else "no amount in the export"
    return (
        f"{which} {tail}; each counts as the typical deal ({money(value, currency)}). "
        "Likely close: the day by which half of a deal's chance to win this quarter is "
        "reached, from how long deals like it took before."
    )


#: Formats and headers of :func:`landing_deals_table` for readers.
DEALS_FORMATS = {
    "deal": "text",
    "stage": "text",
    "amount": "money",
    "likely_close": "date",
    "owner": "text",
    "win_chance": "pct",
    "expected": "money",
}
DEALS_LABELS = {
    "deal": "Deal",
    "owner": "Owner (anonymised)",
    "likely_close": "Likely close",
    "win_chance": "Chance to win this quarter",
    "expected": "Expected bookings",
}


# -- How good have our forecasts been (trend report) ----------------------------------------


def point_label(point: str) -> str:
    """A forecast point for readers: ``plan`` -> "At plan time (history only)", ``week 4`` -> "Week 4 of the quarter".

    Parameters
    ----------
    point : str
        ``plan`` or ``week N``.

    Returns
    -------
    str
    """
    if point == "plan":
        return "At plan time (history only)"
    if point == "week 0":
        return "Week 0 (open pipeline at the start)"
    return f"{point[:1].upper()}{point[1:]} of the quarter"


@dataclass(frozen=True)
class BacktestView:
    """What "How good have our forecasts been" shows, or why it is left out.

    Attributes
    ----------
    backtest : Backtest or None
        The backtest; None when the section is left out.
    message : str or None
        The one line saying why the section is left out (None when it is shown).
    calibrations : tuple of Calibration
        One per forecast point, plan time first.
    trials : int
        Simulated quarters per past forecast.
    currency : str
        For money.
    """

    backtest: Backtest | None
    message: str | None
    calibrations: tuple[Calibration, ...] = ()
    trials: int = 0
    currency: str = "USD"

    @property
    def shown(self) -> bool:
        """Whether the section is shown."""
        return self.backtest is not None

    def calibration(self, point: str) -> Calibration:
        """The calibration of one forecast point.

        Parameters
        ----------
        point : str
            ``plan``, ``week 0``, ...

        Returns
        -------
        Calibration
        """
        for c in self.calibrations:
            if c.point == point:
                return c
        raise KeyError(point)


def _quarters_word(n: int) -> str:
    return "1 past quarter" if n == 1 else f"{n} past quarters"


@_VIEW_BUILDER
def backtest_view(
    params: QuarterParams,
    ingest: IngestResult | None,
    *,
    trials: int = BACKTEST_TRIALS,
    seed: int | None = None,
) -> BacktestView:
    """Backtest every past quarter once, on the data the trend report already loaded.

    Parameters
    ----------
    ingest : IngestResult or None
        The trend report's actuals (None: the parameters have none).
    trials : int
        Trials per past forecast (capped at :data:`BACKTEST_TRIALS`).

    Returns
    -------
    BacktestView
        Left out, with one line saying why, without actuals or with fewer than
        :data:`MIN_BACKTEST_QUARTERS` quarters backtested.
    """
    from alignlib.forecast import backtest
    from alignlib.forecast.backtest import MIN_HISTORY_MONTHS
    from alignlib.forecast.calibration import calibrations

    currency = params.currency
    if ingest is None or params.actuals is None:
        return BacktestView(
            None,
            "Without a CRM export there are no past quarters to check our forecasts against: "
            "left out.",
            currency=currency,
        )
    n = max(1, min(int(trials), BACKTEST_TRIALS))
    try:
        bt = backtest(params, trials=n, seed=seed, ingest=ingest)
    except AlignError as exc:
        return BacktestView(
            None,
            f"How good our forecasts have been is left out: the backtest failed ({_reason(exc)}).",
            currency=currency,
        )
    if bt.quarters < MIN_BACKTEST_QUARTERS:
        why = (
            f"a quarter is checked when the export holds {MIN_HISTORY_MONTHS} complete months "
            f"before it and it closed by {_day(pd.Timestamp(ingest.as_of))}"
        )
        if len(bt.skipped):
            first = bt.skipped.iloc[0]
            why += f"; {first['quarter']} was skipped: {first['reason']}"
        return BacktestView(
            None,
            f"Only {_quarters_word(bt.quarters).replace(' past', '')} could be forecast again "
            f"from what was known at the time ({why}): at least {MIN_BACKTEST_QUARTERS} are "
            "needed to judge our forecasts, so this section is left out.",
            currency=currency,
        )
    cals = calibrations(bt)
    return BacktestView(bt, None, cals, n, currency)


@_BACKTEST_PART
def backtest_summary(view: BacktestView) -> list[str]:
    """What the section says first: how often the plan-time range held, and how sure that is.

    Then one sentence on the forecasts made inside the quarter: how often each held and
    how far its median missed on average.

    Returns
    -------
    list of str
    """
    if view.backtest is None or not view.calibrations:
        return []
    bt = view.backtest
    first = view.calibrations[0]
    out = list(first.sentences[:2])
    inside = view.calibrations[1:]
    if inside:
        held = "; ".join(f"at {c.point}, {c.inside_80} of {c.quarters}" for c in inside)
        out.append(f"Forecasts made inside the quarter landed inside their 80% range {held}.")
    misses = [
        f"{money_compact(bt.point(c.point).mae, view.currency)} "
        f"{'at plan time' if c.point == 'plan' else 'at ' + c.point}"
        for c in view.calibrations
        if math.isfinite(bt.point(c.point).mae)
    ]
    if misses:
        out.append(
            "The median forecast missed by "
            + (", ".join(misses[:-1]) + " and " + misses[-1] if len(misses) > 1 else misses[0])
            + " on average."
        )
    if bt.stationarity is not None:
        out.extend(bt.stationarity.sentences)
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@_BACKTEST_PART
def backtest_warnings(view: BacktestView) -> list[str]:
    """Plain warnings: each forecast point whose ranges were too narrow or too wide, or whose median leaned.

    Returns
    -------
    list of str
        Empty when every point's ranges held about as often as they claim and its median
        was unbiased (or too few quarters to tell).
    """
    from alignlib.forecast.calibration import BIAS_TOLERANCE

    out = []
    for c in view.calibrations:
        who = "At plan time" if c.point == "plan" else f"At {c.point}"
        if c.verdict in ("too narrow", "too wide", "mis-shaped") and len(c.sentences) > 1:
            out.append(f"{who}, {_lower_first(c.sentences[1])}")
        if math.isfinite(c.bias) and abs(c.bias) >= BIAS_TOLERANCE:
            out.append(f"{who}, {_lower_first(c.sentences[-1])}")
    return out


@_BACKTEST_PART
def backtest_method(view: BacktestView) -> str:
    """How the past forecasts were made, in one paragraph (with the trials used).

    Returns
    -------
    str
    """
    if view.backtest is None:
        return ""
    bt = view.backtest
    quarters = list(dict.fromkeys(bt.rows["quarter"]))
    text = (
        f"Each of the last {count(len(quarters))} closed quarters ({quarters[0]} to "
        f"{quarters[-1]}) was forecast again from what the export held at the time (rates, "
        "lags, deal sizes and lead volume learned as of that day): at plan time, from the "
        "history alone, and at weeks 0, 4 and 8, as booked so far + open pipeline + not yet "
        f"created. Each past forecast is drawn from {count(view.trials)} simulated quarters "
        "(fewer than the plan uses, to keep the report quick)."
    )
    if len(bt.skipped):
        left = ", ".join(f"{r.quarter} ({r.reason})" for r in bt.skipped.itertuples())
        text += f" Not checked: {left}."
    return text


def _range_text(row: Any, currency: str) -> str:
    text = (
        f"{money_compact(row.p50, currency)} ({money_compact(row.p10, currency)}-"
        f"{money_compact(row.p90, currency)})"
    )
    return text if bool(row.inside_80) else text + " outside"


def is_outside(cell: Any) -> bool:
    """Whether a cell of :func:`backtest_quarter_table` marks an actual outside the 80% range.

    Parameters
    ----------
    cell : Any
        A cell.

    Returns
    -------
    bool
    """
    return str(cell).endswith(" outside")


#: What the PIT chart shows, for readers.
PIT_EXPLAINED = (
    "Where the actual fell inside each forecast: honest ranges put the actual anywhere in "
    "them equally often, so the bars stay near the dashed line. Bars piled at both edges "
    "mean ranges too narrow; in the middle, too wide; on the left, forecasts too high; on "
    "the right, too low."
)


@_BACKTEST_PART
def backtest_quarter_table(view: BacktestView) -> pd.DataFrame:
    """One row per past quarter: what was booked, and each forecast's median and 80% range.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quarter``; ``actual`` (money) then one text column per forecast
        point, e.g. "$1.83M ($1.31M-$2.48M)", ending in "outside" when the actual fell
        outside the 80% range.
    """
    if view.backtest is None:
        return pd.DataFrame()
    rows = view.backtest.rows
    quarters = list(dict.fromkeys(rows["quarter"]))
    out = pd.DataFrame(index=pd.Index(quarters, name="quarter"))
    out["actual"] = rows.drop_duplicates("quarter").set_index("quarter")["actual"].astype(float)
    for c in view.calibrations:
        part = rows.loc[rows["point"] == c.point].set_index("quarter")
        out[point_label(c.point)] = [
            _range_text(part.loc[q], view.currency) if q in part.index else "" for q in quarters
        ]
    return out


@_BACKTEST_PART
def backtest_scores_table(view: BacktestView) -> pd.DataFrame:
    """Per forecast point: quarters, how many landed inside the 80% and 50% ranges, the median's lean and miss.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``forecast`` (the point for readers); ``inside_80`` and ``inside_50``
        as "5 of 6", ``median_bias`` (fraction: + too high), ``median_miss`` and
        ``crps`` (money; lower is better).
    """
    if view.backtest is None:
        return pd.DataFrame()
    bt = view.backtest
    records = []
    for c in view.calibrations:
        score = bt.point(c.point)
        records.append(
            {
                "forecast": point_label(c.point),
                "inside_80": f"{c.inside_80} of {c.quarters}",
                "inside_50": f"{c.inside_50} of {c.quarters}",
                "median_bias": score.bias,
                "median_miss": score.mae,
                "crps": score.crps,
            }
        )
    return pd.DataFrame.from_records(records).set_index("forecast")


#: Formats and headers of :func:`backtest_scores_table` for readers.
SCORES_FORMATS: dict[str, Any] = {
    "inside_80": "text",
    "inside_50": "text",
    "median_bias": partial(pct, decimals=1, signed=True),
    "median_miss": "money",
    "crps": "money",
}
SCORES_LABELS = {
    "inside_80": "Inside the 80% range",
    "inside_50": "Inside the 50% range",
    "median_bias": "Median too high (+) or low (-)",
    "median_miss": "Median missed by (average)",
    "crps": "Forecast error score (lower is better)",
}

__all__ = [
    "BACKTEST_TRIALS",
    "DEALS_FORMATS",
    "DEALS_LABELS",
    "LANDING_TRIALS",
    "MIN_BACKTEST_QUARTERS",
    "PIT_EXPLAINED",
    "PARTS_LABELS",
    "SCORES_FORMATS",
    "SCORES_LABELS",
    "BacktestView",
    "LandingView",
    "backtest_method",
    "backtest_quarter_table",
    "backtest_scores_table",
    "backtest_summary",
    "backtest_view",
    "backtest_warnings",
    "is_outside",
    "landing_deals_table",
    "landing_method",
    "landing_parts_table",
    "landing_sentence",
    "landing_view",
    "point_label",
]
