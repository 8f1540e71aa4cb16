"""Plan charts: small channels grouped into one "Other" in charts (issue 20)."""

from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from alignlib.charts._format import MOST_CHANNELS, chart_groups


def test_small_and_many_channels_are_one_other_in_a_chart():
    shares = pd.Series(
        [0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.01, 0.005, 0.005],
        index=[f"c{i}" for i in range(9)],
    )
    labels = {c: c.upper() for c in shares.index}
    got, names = chart_groups(shares, labels)
    # below 2% (c6, c7, c8) grouped; the rest are fewer than MOST_CHANNELS and kept
    assert list(got.index) == ["c0", "c1", "c2", "c3", "c4", "c5", "_other"]
    assert got["_other"] == pytest.approx(0.02) and got.sum() == pytest.approx(shares.sum())
    assert names["_other"] == "Other (3 channels)" and names["c0"] == "C0"
    # 22 channels of equal size: the largest MOST_CHANNELS by order, the rest summed
    many = pd.Series(1 / 22, index=[f"k{i}" for i in range(22)])
    got, names = chart_groups(many, {})
    assert (
        len(got) == MOST_CHANNELS + 1
        and names["_other"] == f"Other ({22 - MOST_CHANNELS} channels)"
    )
    # nothing to group, or a single small channel: drawn as they are
    few = pd.Series([0.6, 0.39, 0.01], index=["a", "b", "c"])
    assert chart_groups(few, {})[0].equals(few)


def test_monthly_leads_chart_legend_keeps_to_a_few_channels():
    from alignlib.charts.plan import monthly_leads_chart

    n = 22
    shares = pd.Series(
        np.r_[np.full(12, 0.08), np.full(10, 0.004)], index=[f"ch{i}" for i in range(n)]
    )
    shares /= shares.sum()
    months = pd.period_range("2026-08", "2026-12", freq="M")
    plan = types.SimpleNamespace(
        monthly=pd.DataFrame({"lead": np.full(len(months), 1000.0)}, index=months),
        channels=pd.DataFrame({"share": shares, "label": [f"Channel {i}" for i in range(n)]}),
        funnel=types.SimpleNamespace(stages=("lead", "won")),
        quarter="2026Q4",
        scenario=None,
    )
    fig = monthly_leads_chart(plan)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]  # outside the axes
    assert len(legend) == MOST_CHANNELS + 1
    assert legend[-1] == f"Other ({n - MOST_CHANNELS} channels)"
    # the bars still add up to every lead
    heights = sum(bar.get_height() for c in fig.axes[0].containers for bar in c)
    assert heights == pytest.approx(1000.0 * len(months))
