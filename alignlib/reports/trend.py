"""The trend report: every metric computed once from the CRM export, and its tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alignlib.docstrings import PARAMS_DOC, shared_doc
from alignlib.format import NOT_IN_EXPORT, format_value, pct, stage_label
from alignlib.reports.common import (
    as_frame,
    handoff_stage,
    learned_note,
    optional_note,
    rejected_note,
    sla_frame,
)

if TYPE_CHECKING:
    from alignlib.params import QuarterParams

#: The report's parts read the data :func:`trend_data` computed once.
_TREND_PART = shared_doc(parameters={"td : TrendData": "From :func:`trend_data`."})


@dataclass(frozen=True)
class TrendData:
    """Every metric the trend report shows, computed once from the CRM export.

    ``ingest`` is None when the parameters name no actuals; ``omitted`` holds, for each
    section left out for want of inputs, the one line that says so.
    """

    params: Any
    ingest: Any
    metrics: Mapping[str, Any]
    next_quarter: pd.Period
    omitted: Mapping[str, str] = field(default_factory=dict)

    def shows(self, section: str) -> bool:
        """Whether the report shows ``section`` (it has actuals and the section's inputs).

        Parameters
        ----------
        section : str
            ``costs``, ``growth``, ``sla``, ``forecast`` or any other section name.

        Returns
        -------
        bool
        """
        return self.ingest is not None and section not in self.omitted

    def left_out(self, section: str) -> Any:
        """The one line saying why ``section`` is left out (nothing when it is shown).

        Parameters
        ----------
        section : str
            A section name, as for :meth:`shows`.

        Returns
        -------
        IPython.display.HTML
        """
        return optional_note(self.omitted.get(section))

    @property
    def as_of(self) -> pd.Timestamp:
        """When the export was taken."""
        return self.ingest.as_of

    @property
    def stages(self) -> tuple[str, ...]:
        """The funnel's stage names, lead to won."""
        return tuple(self.params.stage_names)

    @property
    def transitions(self) -> list[str]:
        """Stage-to-next names such as ``mql_to_sal``."""
        s = self.stages
        return [f"{a}_to_{b}" for a, b in zip(s[:-1], s[1:], strict=True)]

    def channel_labels(self) -> dict[str, str]:
        """Channel name -> its label in the parameters."""
        return {k: (c.label or k) for k, c in self.params.channels.items()}


@PARAMS_DOC
def trend_data(params: QuarterParams) -> TrendData:
    """Load the actuals named in the parameters and compute every trend metric.

    Returns
    -------
    TrendData
        Without actuals in the parameters, no metrics and one ``actuals`` omission
        (a trend report needs history).
    """
    from alignlib import crm, metrics

    next_quarter = pd.Period(params.quarter, freq="Q") + 1
    if params.actuals is None:
        reason = (
            "No actuals in the parameters file: the trend report needs a CRM export "
            "(`actuals:`), so it has nothing to show."
        )
        return TrendData(params, None, {}, next_quarter, {"actuals": reason})
    from alignlib.history.learning import read_actuals

    ingest = read_actuals(params)  # the learned reading: the export is not read again
    spend = crm.load_spend(params.actuals.spend) if params.actuals.spend else None
    sla = params.sla
    data = metrics.summarise(
        ingest.table,
        ingest.as_of,
        spend=spend,
        sla_hours=sla.lead_response_hours if sla is not None else None,
        acceptance_hours=sla.acceptance_hours if sla is not None else None,
        handoff_stage=handoff_stage(params),
        forecast_quarter=next_quarter,
        confidence=0.8,
    )
    return TrendData(params, ingest, data, next_quarter, _omissions(params, data))


def _omissions(params: QuarterParams, data: Mapping[str, Any]) -> dict[str, str]:
    """The trend report's sections without inputs, and the line that says so."""
    out = {}
    if "costs" not in data:
        out["costs"] = (
            "No spend file in the parameters: spend, cost per contact and CAC by source are "
            "left out."
        )
    if params.sla is None:
        out["sla"] = "No sla section in the parameters: the response-time SLA is left out."
    elif not data["sla"].summary.get("responded", 0):
        stage = stage_label(handoff_stage(params))
        out["sla"] = f"No response dates after {stage} in the export: the SLA is left out."
    trends = data["trends"]
    if not [p for p in trends.monthly.index if p != trends.partial_month]:
        out["growth"] = "No complete month in the export yet: the months are left out."
    if "forecast" not in data:
        quarter = pd.Period(params.quarter, freq="Q") + 1
        out["forecast"] = (
            f"No complete month in the export yet: the forecast of {quarter} is left out."
            if "growth" in out
            else f"{quarter} is over by the export's date: its forecast is left out."
        )
    return out


def data_note(td: TrendData) -> str:
    """Where the numbers come from, in one sentence (and what was learned from them)."""
    ing = td.ingest
    if ing is None:
        return td.omitted["actuals"]
    learned = learned_note(td.params)
    # A leads file with a deals file joined is "leads.csv + deals.csv": source_label names
    # both (and a database source by its table, never its URL).
    return (
        f"From the {ing.format} export {ing.source_label} as of {td.as_of:%d %b %Y}: "
        f"{ing.accepted:,} contacts ({rejected_note(ing)}). Names and emails never leave the "
        "export: every figure here is an aggregate." + (f" {learned}" if learned else "")
    )


def funnel_table(td: TrendData) -> pd.DataFrame:
    """Lead to won: contacts reaching each stage, conversion, and marketing cost per stage."""
    f = td.metrics["funnel"]
    labels = td.params.stage_labels
    out = pd.DataFrame(
        {
            "label": [labels.get(s, s) for s in f.index],
            "reached": f["reached"],
            "conversion_to_next": f["conversion_to_next"],
            "conversion_from_lead": f["conversion_from_top"],
        },
        index=f.index,
    )
    costs = td.metrics.get("costs")
    if costs is not None:
        spend = float(costs.by_channel["spend"].sum())
        out["cost_per_contact"] = [spend / r if r else np.nan for r in out["reached"]]
    return out


def growth_table(td: TrendData) -> pd.DataFrame:
    """Latest complete month: volume per stage, growth month over month and year over year."""
    tr = td.metrics["trends"]
    monthly = tr.monthly
    complete = [p for p in monthly.index if p != tr.partial_month]
    last = complete[-1]
    labels = td.params.stage_labels
    rows = []
    for s in td.stages:
        rows.append(
            {
                "stage": labels.get(s, s),
                f"volume_{last:%b_%Y}": monthly.loc[last, s],
                "3_month_average": tr.rolling3.loc[last, s],
                "mom_growth": tr.mom.loc[last, s] if last in tr.mom.index else np.nan,
                "yoy_growth": tr.yoy.loc[last, s] if last in tr.yoy.index else np.nan,
            }
        )
    for t in td.transitions:
        rows.append(
            {
                "stage": " → ".join(stage_label(x) for x in t.split("_to_")) + " rate",
                f"volume_{last:%b_%Y}": monthly.loc[last, t],
                "3_month_average": tr.rolling3.loc[last, t],
                "mom_growth": tr.mom.loc[last, t] if last in tr.mom.index else np.nan,
                "yoy_growth": tr.yoy.loc[last, t] if last in tr.yoy.index else np.nan,
            }
        )
    return as_frame(rows, "stage")


def growth_formats(frame: pd.DataFrame) -> dict[str, Any]:
    """Row-aware formats for :func:`growth_table` (volumes as counts, rates as %)."""

    def vol(v: Any) -> str:
        if v is None or pd.isna(v):
            return "—"
        return format_value(v, "pct1") if 0 < abs(float(v)) < 1 else format_value(v, "count")

    volume_cols = [c for c in frame.columns if c.startswith("volume_") or c == "3_month_average"]
    return {**{c: vol for c in volume_cols}, "mom_growth": "pct1", "yoy_growth": "pct1"}


def quarterly_table(td: TrendData, quarters: int = 6) -> pd.DataFrame:
    """The last quarters: volume per stage and lead-to-won, quarter over quarter growth."""
    tr = td.metrics["trends"]
    q = tr.quarterly.tail(quarters)
    labels = td.params.stage_labels
    out = q[list(td.stages)].T.astype(float)
    current = td.as_of.to_period("Q")

    def name(p: pd.Period) -> str:
        # Only the quarter the export was taken in is "to date"; an earlier one that
        # is short of months is where the export starts.
        if q.loc[p, "complete"]:
            return str(p)
        return f"{p} (to date)" if p == current else f"{p} (partial: the export starts in it)"

    out.columns = [name(p) for p in q.index]
    out.index = [labels.get(s, s) for s in out.index]
    out.index.name = "stage"
    last_complete = [p for p in q.index if q.loc[p, "complete"]]
    if last_complete and last_complete[-1] in tr.qoq.index:
        out["qoq_growth"] = [tr.qoq.loc[last_complete[-1], s] for s in td.stages]
    return out


def cohort_table(td: TrendData, months: int = 12) -> pd.DataFrame:
    """The last cohorts: leads created, customers so far, lead-to-won, maturing flag."""
    c = td.metrics["cohort_conversion"].frame.tail(months)
    won = td.stages[-1]
    first = td.stages[0]
    return pd.DataFrame(
        {
            "leads": c[first],
            "customers_so_far": c[won],
            "lead_to_customer": c[f"{first}_to_{won}"],
            "status": np.where(c["maturing"].fillna(False), "maturing", "complete"),
        },
        index=pd.Index([p.strftime("%b %Y") for p in c.index], name="cohort"),
    )


def velocity_table(td: TrendData) -> pd.DataFrame:
    """Days between stages: contacts measured, median, P90, mean."""
    v = td.metrics["velocity"].summary.copy()
    v.index = [" → ".join(stage_label(x) for x in str(t).split("_to_")) for t in v.index]
    v.index.name = "step"
    return v.rename(
        columns={"n": "contacts", "p90": "p90_days", "median": "median_days", "mean": "mean_days"}
    )


def channel_trend_table(td: TrendData) -> pd.DataFrame:
    """By source: contacts, won and conversion over every contact, then cost and deal size.

    Conversion is won / every contact of the source that reached the first stage
    (:func:`alignlib.metrics.conversion_by`), with the counts beside it. The win
    rate of closed deals is a column only when the export records losses (without
    them it would read 100% for every source); an average won deal the export has
    no amount for is NaN (shown "not in the export"), never 0.
    """
    costs = td.metrics.get("costs")
    conv = td.metrics["conversion_by_channel"]
    by = conv.frame
    labels = td.channel_labels()
    first = td.stages[0]
    index = list(by.index)
    if costs is not None:
        index += [c for c in costs.by_channel.index if c not in by.index]
    base = pd.DataFrame(
        {
            "contacts": by["contacts"].reindex(index).fillna(0).astype(int),
            "won": by["won"].reindex(index).fillna(0).astype(int),
            "conversion": by["conversion"].reindex(index),
        },
        index=index,
    )
    if costs is not None:
        c = costs.by_channel.reindex(index)
        base["spend"] = c["spend"]
        base[f"cost_per_{first}"] = c[f"cost_per_{first}"]
        if len(td.stages) > 1 and f"cost_per_{td.stages[1]}" in c:
            base[f"cost_per_{td.stages[1]}"] = c[f"cost_per_{td.stages[1]}"]
        base["cac"] = c["cac"]
    if conv.losses_recorded:
        base["lost"] = by["lost"].reindex(index).fillna(0).astype(int)
        base["win_rate"] = by["win_rate"].reindex(index)
    base["avg_won_deal"] = by["avg_won_deal"].reindex(index)
    base.index = [labels.get(c, str(c)) for c in base.index]
    base.index.name = "source"
    return base


def channel_trend_formats(td: TrendData) -> dict[str, Any]:
    """Formats for :func:`channel_trend_table`: counts as counts, the average won deal as money."""
    return {"contacts": "count", "won": "count", "lost": "count", "avg_won_deal": "money"}


#: Columns of :func:`channel_trend_table` whose missing cells mean "the export has none".
CHANNEL_TREND_MISSING = {"avg_won_deal": NOT_IN_EXPORT}


def channel_trend_note(td: TrendData) -> str:
    """What the by-source table counts, and what it cannot show for this export."""
    conv = td.metrics["conversion_by_channel"]
    first = stage_label(td.stages[0])
    parts = [
        f"Conversion is won / every {first} of the source (counts beside it), not won / "
        "closed deals."
    ]
    if not conv.losses_recorded:
        parts.append(
            "The export records no lost deals, so a win rate of closed deals is not shown."
        )
    if not conv.amounts_recorded:
        parts.append("The export has no amount for its won deals: deal size is not in it.")
    return " ".join(parts)


def sla_owner_table(td: TrendData) -> pd.DataFrame:
    """SLA by owner with owners anonymised (Rep A, Rep B, ...): no names leave the export."""
    by_owner = td.metrics["sla"].by_owner
    frame = sla_frame(by_owner, td.params).sort_values("handoffs", ascending=False)
    frame.index = pd.Index(
        [f"Rep {chr(65 + i)}" if i < 26 else f"Rep {i + 1}" for i in range(len(frame))],
        name="owner (anonymised)",
    )
    return frame


def sla_channel_table(td: TrendData) -> pd.DataFrame:
    """SLA compliance, response times, acceptance and recycling by source."""
    return sla_frame(td.metrics["sla"].by_channel, td.params)


def forecast_table(td: TrendData) -> pd.DataFrame:
    """Next quarter's forecast per stage with its interval, and the plan if known."""
    fc = td.metrics["forecast"]
    q = fc.quarter
    labels = td.params.stage_labels
    out = pd.DataFrame(
        {
            "forecast": q["forecast"],
            f"low_({pct(fc.confidence)}_range)": q["lower"],
            f"high_({pct(fc.confidence)}_range)": q["upper"],
        }
    )
    out = out.round().astype(int)
    out.index = [labels.get(s, s) for s in out.index]
    out.index.name = "stage"
    return out


def forecast_method(td: TrendData) -> str:
    """How the forecast is made, in plain words (the models are named in the appendix)."""
    text = (
        f"Forecast of {td.next_quarter} from the monthly history: each stage's level, trend "
        f"and months' pattern; the ranges hold {pct(td.metrics['forecast'].confidence)} of "
        "likely outcomes."
    )
    # From when the last stage's model fits (the export's first months were filling).
    won = td.stages[-1]
    fill_in = td.metrics["forecast"].fill_in_note(won, td.params.stage_labels.get(won, won))
    return f"{text} {fill_in}" if fill_in else text


@_TREND_PART
def forecast_models(td: TrendData) -> list[str]:
    """The forecast's models by stage, for the page's "How this is computed".

    Returns
    -------
    list of str
        One line, or none without a forecast.
    """
    forecast = td.metrics.get("forecast") if td.metrics else None
    if forecast is None or not forecast.method:
        return []
    by_stage = "; ".join(
        f"{td.params.stage_labels.get(s, s)}: {m}" for s, m in forecast.method.items()
    )
    return [
        f"Forecast models (statsmodels exponential smoothing): {by_stage}; ranges are "
        f"{pct(forecast.confidence)} prediction intervals."
    ]


@_TREND_PART
def trend_headline(td: TrendData) -> dict[str, Any]:
    """The trend report's headline figures beside the target (none without actuals).

    Returns
    -------
    dict
        ``contacts``, ``lead_to_won`` and ``won_forecast_next_quarter``; empty when the
        parameters name no actuals.
    """
    if td.ingest is None:
        return {}
    out = {
        "contacts": td.ingest.accepted,
        "lead_to_won": td.metrics["funnel"]["conversion_from_top"].iloc[-1],
    }
    if td.shows("forecast"):
        out["won_forecast_next_quarter"] = forecast_table(td)["forecast"].iloc[-1]
    return out
