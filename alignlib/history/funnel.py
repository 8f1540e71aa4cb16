"""What the actuals teach: conversion counts, lags, deal sizes and lead volume, learned once.

The plan, the simulation, the channel funnels and the backtest all learn the same things
from a normalised CRM table (see :mod:`alignlib.crm`): each stage's conversion as
``(converted, total)`` over matured cohorts (so the simulation keeps the uncertainty),
the days between stages, the size of won deals and the monthly lead volume with its
variation around trend. :func:`table_as_of` rebuilds the table as it stood on an earlier
date, so a backtest learns only from what was known then.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alignlib import metrics
from alignlib.docstrings import shared_doc
from alignlib.errors import InputError
from alignlib.metrics._table import table_and_funnel_doc, table_doc

#: Fewest complete months from which a month-to-month variation is estimated.
MIN_MONTHS_FOR_VARIATION = 4


@dataclass(frozen=True)
class LearnedLag:
    """Days from entering a stage to entering the next, among contacts that did both.

    Attributes
    ----------
    typical : float
        Mean days (the params' ``lag_days.<stage>.typical``).
    spread : float
        Standard deviation of the days.
    n : int
        Contacts measured.
    """

    typical: float
    spread: float
    n: int


@dataclass(frozen=True)
class LearnedDealSize:
    """Bookings per won deal: mean, standard deviation and how many deals.

    Attributes
    ----------
    mean : float
        Average won amount.
    spread : float
        Standard deviation of won amounts (0 for a single deal).
    n : int
        Won deals with an amount.
    """

    mean: float
    spread: float
    n: int


@dataclass(frozen=True)
class FunnelHistory:
    """Everything one table teaches about its funnel, as of a date.

    Attributes
    ----------
    as_of : pandas.Timestamp
        The date the history runs to.
    stage_names : tuple of str
        The funnel, top to bottom.
    contacts : int
        Contacts in the matured cohorts that the rates learn from.
    maturity_days : float
        A cohort younger than this (days from its last day) is still maturing.
    rates : Mapping[str, tuple[int, int]]
        From-stage -> ``(converted, total)`` over matured cohorts; a stage no matured
        contact reached is left out.
    lags : Mapping[str, LearnedLag]
        From-stage -> days to the next stage; left out where no contact did both.
    deal_size : LearnedDealSize or None
        Won amounts; None when no won deal has an amount.
    monthly_volume : pandas.Series
        Contacts entering the top stage per complete month (Period index).
    volume_cv : float or None
        Month-to-month variation of that volume around its log-linear trend (the
        standard deviation of the log residuals); None with fewer than
        :data:`MIN_MONTHS_FOR_VARIATION` complete months.
    undated : bool
        True when the rates come from every contact because the last stage is reached
        only by outcomes without a date (a 0/1 ``Converted`` column): no cohort can be
        judged mature, and no lag into the last stage is learned.
    """

    as_of: pd.Timestamp
    stage_names: tuple[str, ...]
    contacts: int
    maturity_days: float
    rates: Mapping[str, tuple[int, int]]
    lags: Mapping[str, LearnedLag]
    deal_size: LearnedDealSize | None
    monthly_volume: pd.Series = field(repr=False)
    volume_cv: float | None
    undated: bool = False

    def rate(self, stage: str) -> float | None:
        """Point conversion rate out of ``stage`` (None when nothing was learned).

        Parameters
        ----------
        stage : str
            A from-stage.

        Returns
        -------
        float or None
            ``converted / total``.
        """
        counts = self.rates.get(stage)
        return None if counts is None else counts[0] / counts[1]

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON and the CLI.

        Returns
        -------
        dict
            ``as_of``, ``contacts``, ``rates`` as ``{converted, total}``, ``lags`` as
            ``{typical, spread, n}``, ``deal_size``, ``monthly_volume`` and ``volume_cv``.
        """
        return {
            "as_of": str(self.as_of.date()),
            "stages": list(self.stage_names),
            "contacts": self.contacts,
            "maturity_days": self.maturity_days,
            "rates": {s: {"converted": c, "total": t} for s, (c, t) in self.rates.items()},
            "lags": {s: dataclasses.asdict(lag) for s, lag in self.lags.items()},
            "deal_size": None if self.deal_size is None else dataclasses.asdict(self.deal_size),
            "monthly_volume": {str(k): int(v) for k, v in self.monthly_volume.items()},
            "volume_cv": self.volume_cv,
            "undated": self.undated,
        }

    def cohorts_note(self) -> str:
        """Which contacts the rates come from, for a sentence ("... contacts in ...")."""
        if self.undated:
            return "every cohort: the outcomes carry no dates, so none can be judged mature"
        return f"matured cohorts, older than {self.maturity_days:.0f} days"


def learn(
    table: pd.DataFrame,
    as_of: pd.Timestamp | str,
    stage_names: Sequence[str],
    *,
    maturity_days: float | None = None,
) -> FunnelHistory:
    """Learn conversion counts, lags, deal size and lead volume from a normalised table.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table (:func:`alignlib.crm.table_columns`).
    as_of : Timestamp or str
        When the table was taken: cohorts younger than the maturity threshold before it
        do not teach rates or lags, and its own month is not a complete month.
    stage_names : sequence of str
        The funnel, top to bottom.
    maturity_days : float, optional
        The maturity threshold; by default the P90 time from the top stage to the last
        (:func:`alignlib.metrics.cohort_conversion`).

    Returns
    -------
    FunnelHistory
        What was learned. An empty table, or one whose cohorts are all maturing,
        learns no rates and no lags (empty mappings), never a rate of 0.

    Raises
    ------
    InputError
        When the table lacks a stage.
    """
    stages = tuple(stage_names)
    as_of_ts = pd.Timestamp(as_of).normalize()
    cohorts = metrics.cohort_conversion(
        table, as_of_ts, stage_names=stages, maturity_days=maturity_days
    )
    matured_months = cohorts.matured.index
    created_month = table["created"].dt.to_period("M")
    matured = created_month.isin(matured_months).to_numpy(dtype=bool)
    last = stages[-1]
    undated = bool(
        not np.isfinite(cohorts.maturity_days)
        and len(table)
        and (
            table[f"reached_{last}"].to_numpy(dtype=bool)
            & table[f"entered_{last}"].isna().to_numpy()
        ).any()
    )
    if undated:
        # Outcomes without dates (a 0/1 Converted column): the rate needs no timing,
        # so every contact teaches it, as the export records its outcome today.
        matured = np.ones(len(table), dtype=bool)
    rates: dict[str, tuple[int, int]] = {}
    lags: dict[str, LearnedLag] = {}
    for a, b in zip(stages[:-1], stages[1:], strict=True):
        reached_a = table[f"reached_{a}"].to_numpy(dtype=bool) & matured
        total = int(reached_a.sum())
        if total:
            converted = int((reached_a & table[f"reached_{b}"].to_numpy(dtype=bool)).sum())
            rates[a] = (converted, total)
        gap = table[f"entered_{b}"].to_numpy(dtype="datetime64[s]") - table[
            f"entered_{a}"
        ].to_numpy(dtype="datetime64[s]")
        ok = matured & ~np.isnat(gap)
        if ok.any():
            days = gap[ok].astype(np.int64) / 86_400.0
            spread = float(np.std(days, ddof=1)) if len(days) > 1 else 0.0
            lags[a] = LearnedLag(float(np.mean(days)), spread, int(len(days)))
    return FunnelHistory(
        as_of=as_of_ts,
        stage_names=stages,
        contacts=int(matured.sum()),
        maturity_days=float(cohorts.maturity_days),
        rates=rates,
        lags=lags,
        deal_size=learn_deal_size(table),
        monthly_volume=(volume := monthly_volume(table, as_of_ts, stages[0])),
        volume_cv=volume_variation(volume),
        undated=undated,
    )


@table_doc
def learn_deal_size(table: pd.DataFrame) -> LearnedDealSize | None:
    """Mean and spread of won amounts.

    Returns
    -------
    LearnedDealSize or None
        None when no won deal has a positive amount.
    """
    won = (table["outcome"] == "won").to_numpy(dtype=bool, na_value=False)
    amounts = table["amount"].to_numpy(dtype=float)[won]
    amounts = amounts[np.isfinite(amounts) & (amounts > 0)]
    if not len(amounts):
        return None
    spread = float(np.std(amounts, ddof=1)) if len(amounts) > 1 else 0.0
    return LearnedDealSize(float(np.mean(amounts)), spread, int(len(amounts)))


@table_doc
def monthly_volume(table: pd.DataFrame, as_of: pd.Timestamp, top_stage: str) -> pd.Series:
    """Contacts entering the top stage in each complete month before ``as_of``'s month.

    Parameters
    ----------
    as_of : pandas.Timestamp
        Its month and later months are incomplete and left out.
    top_stage : str
        The funnel's first stage.

    Returns
    -------
    pandas.Series
        Counts by month (Period index, months with none included as 0). The export's
        first month is left out when it starts after its third day (a partial month).
    """
    entered = table[f"entered_{top_stage}"].dropna()
    if entered.empty:
        return pd.Series(dtype="int64", index=pd.PeriodIndex([], freq="M"))
    months = entered.dt.to_period("M")
    last = pd.Timestamp(as_of).to_period("M") - 1
    first = months.min()
    if entered.min().day > 3:
        first += 1
    if first > last:
        return pd.Series(dtype="int64", index=pd.PeriodIndex([], freq="M"))
    index = pd.period_range(first, last, freq="M")
    return months.value_counts().reindex(index, fill_value=0).astype("int64")


def volume_variation(volume: pd.Series) -> float | None:
    """Month-to-month variation around the log-linear trend (sd of log residuals).

    Parameters
    ----------
    volume : pandas.Series
        Counts per complete month.

    Returns
    -------
    float or None
        The coefficient of variation around trend; None with fewer than
        :data:`MIN_MONTHS_FOR_VARIATION` months or any month with no contacts.
    """
    values = volume.to_numpy(dtype=float)
    if len(values) < MIN_MONTHS_FOR_VARIATION or (values <= 0).any():
        return None
    x = np.arange(len(values), dtype=float)
    logs = np.log(values)
    slope, intercept = np.polyfit(x, logs, 1)
    residuals = logs - (slope * x + intercept)
    return float(math.sqrt(float(residuals @ residuals) / (len(values) - 2)))


#: How :func:`table_as_of` and its faster twin :meth:`alignlib.forecast.cuts.TableCuts.at`
#: document the day they cut at.
cut_doc = shared_doc(
    parameters={"date : Timestamp or str": "The day the earlier run happens (exclusive)."}
)


@cut_doc
@table_and_funnel_doc
def table_as_of(
    table: pd.DataFrame, date: pd.Timestamp | str, stage_names: Sequence[str]
) -> pd.DataFrame:
    """The table as it stood at the start of ``date``: what a run on that day would have seen.

    Contacts created on or after ``date`` are dropped; stage dates on or after it are
    cleared (and ``reached_<stage>`` recomputed); deals closed on or after it are open
    again, with their amount kept as the deal's amount; responses after it are cleared.

    Returns
    -------
    pandas.DataFrame
        A new table with the same columns.
    """
    cut = pd.Timestamp(date).normalize()
    out = table.loc[table["created"] < cut].copy()
    stages = list(stage_names)
    for s in stages:
        col = f"entered_{s}"
        out.loc[out[col] >= cut, col] = pd.NaT
    # A stage counts as reached when it, or any later stage, was entered before the cut
    # (a skipped stage is reached once a later one is).
    later = np.zeros(len(out), dtype=bool)
    for s in reversed(stages):
        later |= out[f"entered_{s}"].notna().to_numpy()
        out[f"reached_{s}"] = later.copy()
    out.loc[out[f"reached_{stages[0]}"].eq(False), f"reached_{stages[0]}"] = True
    closed_later = (out["close_date"] >= cut).to_numpy(dtype=bool, na_value=False)
    if "outcome" in out:
        out.loc[closed_later, "outcome"] = "open"
        out.loc[closed_later, "close_date"] = pd.NaT
    last = stages[-1]
    reopened = closed_later & ~out[f"reached_{last}"].to_numpy(dtype=bool)
    out.loc[reopened, "stage"] = _current_stage(out.loc[reopened], stages)
    if "first_response" in out:
        out.loc[out["first_response"] >= cut, "first_response"] = pd.NaT
    return out


def _current_stage(rows: pd.DataFrame, stages: Sequence[str]) -> pd.Series:
    """The furthest stage each row had entered (the top stage when none)."""
    current = pd.Series(stages[0], index=rows.index, dtype=object)
    for s in stages:
        current[rows[f"reached_{s}"].to_numpy(dtype=bool)] = s
    return current


def require_rates(history: FunnelHistory, stages: Sequence[str]) -> None:
    """Check that every transition of the funnel learned a rate.

    Parameters
    ----------
    history : FunnelHistory
        What was learned.
    stages : sequence of str
        The transitions that need a rate (every stage but the last).

    Raises
    ------
    InputError
        Naming the stages without matured history.
    """
    missing = [s for s in stages if s not in history.rates or history.rates[s][0] == 0]
    if missing:
        cohorts = (
            f"a matured cohort (older than {history.maturity_days:.0f} days)"
            if math.isfinite(history.maturity_days)
            else "the actuals (no contact has reached the last stage yet, so no cohort has matured)"
        )
        raise InputError(
            f"the actuals teach no conversion rate out of {', '.join(missing)}: no contact in "
            f"{cohorts} converted; give conversion_rates for them in the params file"
        )


#: Months of history the default channel mix and costs are taken from.
CHANNEL_MONTHS = 12


def learned_sections(
    params: Any, keys: Sequence[str], ingest: Any, history: FunnelHistory
) -> dict[str, Any]:
    """Params sections learned from what a parameters file's actuals teach.

    Parameters
    ----------
    params : QuarterParams
        Parameters validated far enough to read their ``actuals`` (the learnable
        sections may hold stand-ins).
    keys : sequence of str
        Which of ``conversion_rates``, ``lag_days``, ``deal_size`` and ``channels`` to learn.
    ingest : IngestResult
        The actuals as read (:func:`alignlib.crm.load_actuals`).
    history : FunnelHistory
        What they teach (:func:`learn` on ``ingest.table``).

    Returns
    -------
    dict
        The sections as a params file would write them (rates as ``{converted, total}``
        counts, so the simulation keeps their uncertainty).

    Raises
    ------
    InputError
        When the actuals teach no rate for a stage or no deal size.
    """
    from alignlib import crm

    stages = tuple(params.stage_names)
    sections: dict[str, Any] = {}
    if "conversion_rates" in keys:
        require_rates(history, stages[:-1])
        sections["conversion_rates"] = {
            s: {"converted": c, "total": t} for s, (c, t) in history.rates.items()
        }
    if "lag_days" in keys:
        sections["lag_days"] = {
            s: {"typical": round(lag.typical, 1), "spread": round(lag.spread, 1)}
            for s, lag in history.lags.items()
        }
        if sections["lag_days"]:
            for s in stages[:-1]:
                sections["lag_days"].setdefault(s, {"typical": 0.0, "spread": 0.0})
    if "deal_size" in keys:
        if history.deal_size is None:
            raise InputError("no won deal with an amount: give deal_size: {mean: ..., spread: ...}")
        sections["deal_size"] = {
            "mean": round(history.deal_size.mean, 2),
            "spread": round(history.deal_size.spread, 2),
        }
    if "channels" in keys:
        spend = crm.load_spend(params.actuals.spend) if params.actuals.spend else None
        sections["channels"] = channel_mix(ingest.table, history.as_of, stages[0], spend)
    return sections


@table_doc
def channel_mix(
    table: pd.DataFrame,
    as_of: pd.Timestamp,
    top_stage: str,
    spend: pd.DataFrame | None = None,
    months: int = CHANNEL_MONTHS,
) -> dict[str, dict[str, Any]]:
    """Each channel's share of top-stage volume and, with a spend file, its cost per lead.

    Parameters
    ----------
    as_of : pandas.Timestamp
        End of the history.
    top_stage : str
        The funnel's first stage.
    spend : pandas.DataFrame, optional
        :func:`alignlib.crm.load_spend`'s table.
    months : int
        How many complete months the mix is taken from.

    Returns
    -------
    dict
        Channel -> ``{share}`` (and ``cost_per_lead`` where the spend file has the
        channel), as a params file's ``channels:`` section. Empty when no contact has a
        channel.
    """
    last = pd.Timestamp(as_of).to_period("M") - 1
    first = last - (months - 1)
    entered = table[f"entered_{top_stage}"]
    month = entered.dt.to_period("M")
    window = (month >= first) & (month <= last)
    if not window.any():
        window = entered.notna()
    counts = table.loc[window, "channel"].dropna().value_counts()
    counts = counts[counts > 0]
    if counts.empty:
        return {}
    total = int(counts.sum())
    out: dict[str, dict[str, Any]] = {
        str(name): {"share": int(n) / total} for name, n in counts.items()
    }
    if spend is not None and len(spend):
        in_window = spend[(spend["month"] >= first) & (spend["month"] <= last)]
        by_channel = in_window.groupby("channel")["spend"].sum()
        for name, n in counts.items():
            if str(name) in by_channel.index and n > 0:
                out[str(name)]["cost_per_lead"] = round(float(by_channel[str(name)]) / int(n), 2)
    return out
