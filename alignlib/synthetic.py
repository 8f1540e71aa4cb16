"""A funnel whose truth is known: normalised CRM tables of any shape, for tests and checks.

The sample data (:mod:`alignlib.sample`) is one company with messy exports. This module
draws clean normalised tables (the shape :mod:`alignlib.crm` produces) from a process
whose rates, lags, deal sizes and volume are set by the caller, with 2 to 8 stages of any
name and channels that convert differently, so that what :mod:`alignlib.history.funnel`, the
plan, the simulation and the forecast recover can be checked against the truth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.table import table_columns


@dataclass(frozen=True)
class SyntheticFunnel:
    """The true process behind a synthetic table.

    Attributes
    ----------
    stage_names : tuple of str
        The funnel, top to bottom (2 or more stages).
    rates : tuple of float
        Conversion into the next stage, one per stage but the last.
    lag_days : tuple of float
        Mean days from entering each stage to entering the next (gamma distributed).
    lag_cv : float
        Coefficient of variation of every lag (0: exactly the mean).
    deal_size : float
        Mean won amount (lognormal).
    deal_cv : float
        Coefficient of variation of won amounts.
    monthly_leads : float
        Mean contacts entering the top stage per month.
    volume_cv : float
        Month-to-month variation of that volume (gamma-Poisson; 0 for Poisson).
    channels : Mapping[str, float]
        Channel -> share of contacts.
    channel_rates : Mapping[str, tuple[float, ...]]
        Channel -> its own rates (channels not named here convert at ``rates``).
    lost_lag_days : float
        Mean days from entering the stage before the last to being marked lost.
    volume_growth : float
        Growth of the mean monthly volume per year (0.4: 40% a year, compounding
        monthly from ``start``).
    rate_shift_at : str or None
        Contacts created on or after this date convert into the last stage at
        ``rate_shift`` times their rate (a conversion drop half way: 0.7).
    rate_shift : float
        See ``rate_shift_at``.
    """

    stage_names: tuple[str, ...]
    rates: tuple[float, ...]
    lag_days: tuple[float, ...]
    lag_cv: float = 0.5
    deal_size: float = 20_000.0
    deal_cv: float = 0.4
    monthly_leads: float = 1_000.0
    volume_cv: float = 0.0
    channels: Mapping[str, float] = field(default_factory=lambda: {"web": 1.0})
    channel_rates: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    lost_lag_days: float = 30.0
    volume_growth: float = 0.0
    rate_shift_at: str | None = None
    rate_shift: float = 1.0

    def __post_init__(self) -> None:
        n = len(self.stage_names)
        if n < 2 or len(self.rates) != n - 1 or len(self.lag_days) != n - 1:
            raise ValueError("need 2+ stages and one rate and one lag per stage but the last")
        for name, rates in self.channel_rates.items():
            if len(rates) != n - 1:
                raise ValueError(f"channel {name!r}: one rate per stage but the last")

    def rates_for(self, channel: str) -> tuple[float, ...]:
        """The channel's true rates.

        Parameters
        ----------
        channel : str
            A channel name.

        Returns
        -------
        tuple of float
            Its own rates, or the funnel's.
        """
        return tuple(self.channel_rates.get(channel, self.rates))


def _gamma(rng: np.random.Generator, mean: float, cv: float, size: int) -> np.ndarray:
    if cv <= 0 or mean <= 0:
        return np.full(size, float(mean))
    shape = 1.0 / cv**2
    return rng.gamma(shape, mean / shape, size)


def synthetic_table(
    funnel: SyntheticFunnel,
    *,
    start: str | pd.Timestamp,
    months: int,
    as_of: str | pd.Timestamp,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a normalised CRM table from a known process, as an export on ``as_of`` shows it.

    Contacts arrive in ``months`` months from ``start``; each converts stage by stage with
    the channel's rates after gamma lags; a stage entered after ``as_of`` is not yet
    reached. A contact that entered the stage before the last and did not win is lost
    after a gamma lag, or still open when that falls after ``as_of``.

    Parameters
    ----------
    funnel : SyntheticFunnel
        The true process.
    start : str or Timestamp
        First day of the first month.
    months : int
        Months of arrivals.
    as_of : str or Timestamp
        When the export is taken (arrivals after it are left out).
    seed : int
        Seed of the ``numpy.random.Generator``.

    Returns
    -------
    pandas.DataFrame
        Columns of :func:`alignlib.crm.table_columns` for the funnel's stages.
    """
    rng = np.random.default_rng(seed)
    stages = list(funnel.stage_names)
    first = pd.Timestamp(start).to_period("M")
    as_of_ts = pd.Timestamp(as_of)
    # Monthly volume: Poisson, or gamma-Poisson with the given variation.
    means = np.full(months, funnel.monthly_leads)
    if funnel.volume_cv > 0:
        means = _gamma(rng, funnel.monthly_leads, funnel.volume_cv, months)
    if funnel.volume_growth:
        means = means * (1.0 + funnel.volume_growth) ** (np.arange(months) / 12.0)
    counts = rng.poisson(means)
    created_parts = []
    for i, n in enumerate(counts):
        month = first + i
        begin = month.start_time
        seconds = (month.end_time - begin).total_seconds()
        created_parts.append(begin + pd.to_timedelta(rng.uniform(0, seconds, n), unit="s"))
    created = pd.DatetimeIndex(np.concatenate([p.values for p in created_parts])).as_unit("s")
    n = len(created)
    names = list(funnel.channels)
    shares = np.array([funnel.channels[c] for c in names], dtype=float)
    channel_code = rng.choice(len(names), size=n, p=shares / shares.sum())
    rate_table = np.array([funnel.rates_for(c) for c in names])  # channels x transitions
    entered = np.full((n, len(stages)), np.datetime64("NaT"), dtype="datetime64[s]")
    entered[:, 0] = created.values
    alive = np.ones(n, dtype=bool)
    when = created.values.astype("datetime64[s]")
    shifted = np.zeros(n, dtype=bool)
    if funnel.rate_shift_at is not None:
        shifted = created.values >= np.datetime64(
            pd.Timestamp(funnel.rate_shift_at).to_datetime64()
        )
    for j in range(len(stages) - 1):
        rate = rate_table[channel_code, j]
        if j == len(stages) - 2:
            rate = np.where(shifted, np.minimum(rate * funnel.rate_shift, 1.0), rate)
        converts = alive & (rng.random(n) < rate)
        lag = _gamma(rng, funnel.lag_days[j], funnel.lag_cv, n)
        when = when + (lag * 86_400).astype("timedelta64[s]")
        entered[converts, j + 1] = when[converts]
        alive = converts
    # Lost: entered the stage before the last, did not convert.
    pre = len(stages) - 2
    lost_when = entered[:, pre] + (
        _gamma(rng, funnel.lost_lag_days, funnel.lag_cv, n) * 86_400
    ).astype("timedelta64[s]")
    cut = np.datetime64(as_of_ts.to_datetime64(), "s")
    visible = created.values.astype("datetime64[s]") <= cut
    entered[entered > cut] = np.datetime64("NaT")
    reached = ~np.isnat(entered)
    won = reached[:, -1]
    tried = ~np.isnat(entered[:, pre]) & ~won
    dead = np.isnat(entered[:, -1]) & ~np.isnat(lost_when) & (lost_when <= cut)
    # A contact whose loss falls after the cut is still open: the export cannot know yet.
    lost = tried & dead
    outcome = np.full(n, None, dtype=object)
    outcome[tried] = "open"
    outcome[lost] = "lost"
    outcome[won] = "won"
    close = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    close[won] = entered[won, -1]
    close[lost] = lost_when[lost]
    sigma2 = np.log1p(funnel.deal_cv**2)
    amount = rng.lognormal(np.log(funnel.deal_size) - sigma2 / 2, np.sqrt(sigma2), n)
    amount[~(won | tried)] = np.nan
    stage_idx = reached.sum(axis=1) - 1
    response = entered[:, min(1, len(stages) - 1)] + (_gamma(rng, 4.0, 1.0, n) * 3600).astype(
        "timedelta64[s]"
    )
    response[response > cut] = np.datetime64("NaT")
    data: dict[str, object] = {
        "id": [f"C{i:07d}" for i in range(n)],
        "row": np.arange(2, n + 2),
        "created": created.values.astype("datetime64[s]"),
        "source": np.array(names, dtype=object)[channel_code],
        "channel": np.array(names, dtype=object)[channel_code],
        "owner": np.array(["rep_a", "rep_b", "rep_c"], dtype=object)[rng.integers(0, 3, n)],
        "deal_name": np.full(n, None, dtype=object),
        "lead_status": np.full(n, None, dtype=object),
        "stage": np.array(stages, dtype=object)[stage_idx],
    }
    for j, s in enumerate(stages):
        data[f"entered_{s}"] = entered[:, j]
    for j, s in enumerate(stages):
        data[f"reached_{s}"] = reached[:, j]
    data.update(
        outcome=outcome,
        close_date=close,
        amount=amount,
        first_response=response,
        recycled=np.zeros(n, dtype=bool),
        disqualified=np.zeros(n, dtype=bool),
    )
    table = pd.DataFrame(data)[table_columns(stages)]
    table = table.loc[visible].sort_values("created", kind="stable").reset_index(drop=True)
    for col in ("id", "source", "channel", "owner", "deal_name", "lead_status", "stage", "outcome"):
        table[col] = table[col].astype("str").where(table[col].notna())
    return table


def stage_names_of(count: int, names: Sequence[str] | None = None) -> tuple[str, ...]:
    """Stage names for a funnel of ``count`` stages: the given ones, or ``stage_1`` ...

    Parameters
    ----------
    count : int
        Number of stages.
    names : sequence of str, optional
        Names to use (their first ``count``).

    Returns
    -------
    tuple of str
        The names; the last is the won stage.
    """
    if names is not None:
        return tuple(names[:count])
    return tuple(f"stage_{i + 1}" for i in range(count - 1)) + ("won",)


def write_generic_export(
    table: pd.DataFrame, path: str | Path, stage_names: Sequence[str]
) -> dict[str, str]:
    """Write a normalised table as a generic CSV export; return its column mapping.

    Parameters
    ----------
    table : pandas.DataFrame
        A normalised table (e.g. from :func:`synthetic_table`).
    path : str or Path
        Where to write the CSV.
    stage_names : sequence of str
        The funnel, top to bottom.

    Returns
    -------
    dict
        The ``actuals.columns`` mapping (canonical field -> column) that reads it back.
    """
    fields = ["id", "created", "channel", "owner", "outcome", "close_date", "amount"]
    fields += ["first_response", *[f"entered_{s}" for s in stage_names]]
    out = table[fields].copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return {f: f for f in fields}


def calibration_cases() -> dict[str, SyntheticFunnel]:
    """The known-truth funnels the forecast's calibration is checked on (issue 23).

    A small four-stage funnel (150 leads a month, about 20 wins a quarter, monthly
    volume varying 10% beyond Poisson): ``stationary``; ``growth`` (lead volume growing
    40% a year); ``drop`` (conversion into won falling by 40% for contacts created from
    2021-01-01, half way through a 2018-2023 history).

    Returns
    -------
    dict
        Name -> funnel.
    """
    stationary = SyntheticFunnel(
        stage_names=("lead", "sql", "opp", "won"),
        rates=(0.3, 0.5, 0.3),
        lag_days=(10.0, 15.0, 40.0),
        lag_cv=0.5,
        deal_size=20_000.0,
        deal_cv=0.4,
        monthly_leads=150.0,
        volume_cv=0.1,
        lost_lag_days=30.0,
    )
    return {
        "stationary": stationary,
        "growth": dataclasses.replace(stationary, volume_growth=0.4),
        "drop": dataclasses.replace(stationary, rate_shift_at="2021-01-01", rate_shift=0.6),
    }
