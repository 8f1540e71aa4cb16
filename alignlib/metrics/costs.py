"""Costs: spend, cost per stage and CAC by channel and by month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from alignlib.errors import InputError
from alignlib.metrics._table import checked_stages, result_dict, table_and_stages_doc
from alignlib.metrics.volumes import stage_volumes


@dataclass(frozen=True)
class Costs:
    """Spend and cost per stage by channel (total) and by month and channel.

    Attributes
    ----------
    by_channel : DataFrame
        Index channel; ``spend``, ``<stage>`` (entries in the spend months),
        ``cost_per_<stage>``; the last stage's cost is also ``cac``.
    by_month : DataFrame
        Index (month, channel); the same columns.
    total : Series
        The same across all channels.
    """

    by_channel: pd.DataFrame
    by_month: pd.DataFrame
    total: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Cost by channel."""
        return self.by_channel

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return result_dict(self, "total", "by_channel", "by_month")


@table_and_stages_doc
def costs(
    table: pd.DataFrame,
    spend: pd.DataFrame,
    *,
    stage_names: Sequence[str] | None = None,
) -> Costs:
    """Cost per lead, per MQL, ... and CAC from the spend file, by channel and month.

    Stage counts are period entries (by the month of each stage's date) within the
    months the spend file covers, so a month's spend is set against the leads,
    MQLs, ... and customers that month. Channels in the table but not in the spend
    file get spend 0; a cost over zero entries is NaN.

    Parameters
    ----------
    spend : DataFrame
        ``month`` (Period[M] or ``YYYY-MM``), ``channel``, ``spend`` (see
        :func:`alignlib.crm.load_spend`).

    Returns
    -------
    Costs
    """
    stages = checked_stages(table, stage_names)
    missing = {"month", "channel", "spend"} - set(spend.columns)
    if missing:
        raise InputError(f"spend table is missing column(s): {', '.join(sorted(missing))}")
    sp = spend.assign(month=pd.PeriodIndex(spend["month"], freq="M"))
    sp = sp.groupby(["month", "channel"])["spend"].sum()
    vol = stage_volumes(table, stage_names=stages, by="channel")
    vol.index = vol.index.set_names(["month", "channel"])
    months = sp.index.get_level_values(0).unique()
    vol = vol.loc[vol.index.get_level_values(0).isin(months)]
    by_month = pd.concat([sp, vol], axis=1).fillna(0)
    by_month[list(stages)] = by_month[list(stages)].astype(int)
    by_month = by_month.sort_index()

    def add_costs(f: pd.DataFrame) -> pd.DataFrame:
        f = f.copy()
        for s in stages:
            f[f"cost_per_{s}"] = f["spend"] / f[s].where(f[s] > 0)
        f["cac"] = f[f"cost_per_{stages[-1]}"]
        return f

    by_channel = add_costs(by_month.groupby(level="channel").sum())
    total = add_costs(by_month.sum().to_frame().T).iloc[0]
    return Costs(by_channel, add_costs(by_month), total)
