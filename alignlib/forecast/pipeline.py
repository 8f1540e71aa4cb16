"""The open pipeline: which deals are still open, their chance to win in time, their worth.

:func:`open_deals` lists every contact or deal that is neither won nor lost, with its
current stage, the days it has spent there and its chance to win inside a window
(:class:`~alignlib.forecast.curves.WinCurves`). :func:`simulate_open_pipeline` draws the
revenue they bring: deals with their own amount win one by one (Bernoulli per deal and
trial, in chunks); the others are grouped by stage and age, their win count drawn from the
exact distribution of the sum of binomials and their amounts from the deal-size
distribution.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
from scipy.special import gammaln

from alignlib.forecast._docs import draws_doc
from alignlib.forecast.curves import WinCurves, out_of_play
from alignlib.simulation import DealSize
from alignlib.simulation.draws import deal_sums

#: Bernoulli draws per chunk (trials x deals) for deals with their own amount.
CHUNK_DRAWS = 4_000_000

#: From this many open deals with their own amount, their sum is drawn from the
#: three-moment shifted lognormal instead of deal by deal (a sum of hundreds of
#: independent bounded terms: the central limit theorem with its skewness kept).
OWN_EXACT_BELOW = 400

_DAY_SECONDS = 86_400


def open_deals(
    table: pd.DataFrame,
    cut: pd.Timestamp,
    stage_names: Sequence[str],
    curves: WinCurves,
    window: tuple[int, int],
    *,
    own_amounts: bool | Collection[str] = True,
    chance_only: bool = False,
) -> pd.DataFrame:
    """Every open contact or deal with its stage, age and chance to win inside ``window``.

    Open: not won, not lost, short of the last stage, and not a contact disqualified or
    recycled at the hand-off (:func:`~alignlib.forecast.curves.out_of_play`: no longer
    pipeline, whatever its stage dates say).
    Its stage is the furthest it entered; its age the whole days from entering that
    stage to ``cut``.

    Parameters
    ----------
    table : pandas.DataFrame
        Normalised CRM table as it stood at ``cut``.
    cut : pandas.Timestamp
        When the table was taken (exclusive).
    stage_names : sequence of str
        The funnel, top to bottom.
    curves : WinCurves
        Time-to-win per stage, learned from the same table.
    window : (int, int)
        Days from ``cut`` in which a win counts, inclusive (e.g. ``(0, 41)`` for the 42
        days left in the quarter).
    own_amounts : bool or collection of str
        Use a deal's own amount where it has one (> 0): everywhere (True), nowhere
        (False: every amount comes from the deal-size distribution), or only for deals
        in these stages. A backtest passes the stages whose open or lost deals carry
        amounts in the export: where amounts are filled only when a deal is won, or
        only once it reaches a later stage, having one would leak the outcome.
    chance_only : bool
        Keep only the deals with a chance to win inside the window (what the landing
        draws and lists: a large export's old leads that no history ever saw convert
        at their age are left out before their ids and amounts are read).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``stage``, ``days_in_stage``, ``win_chance``, ``amount`` (NaN
        when unknown), one row per open deal (with a chance, with ``chance_only``).
    """
    stages = tuple(stage_names)
    outcome = table["outcome"]
    candidate = ~outcome.isin(["won", "lost"]).to_numpy(dtype=bool) & ~out_of_play(table)
    # the rows still in play, short of the last stage (won rows are not candidates, so
    # stage_dates' close-date fill for won deals does not arise)
    rows = np.flatnonzero(candidate)
    last = table[f"entered_{stages[-1]}"].to_numpy(dtype="datetime64[s]")[rows]
    open_rows = rows[np.isnat(last)]
    # furthest stage entered and since when, a column at a time (no rows x stages array;
    # a row with no stage date sits in the top stage since created)
    current = np.zeros(len(open_rows), dtype=np.int64)
    since: np.ndarray = np.full(len(open_rows), np.datetime64("NaT", "s"))
    for j, s in enumerate(stages[:-1]):
        col = table[f"entered_{s}"].to_numpy(dtype="datetime64[s]")[open_rows]
        has = ~np.isnat(col)
        current = np.where(has, j, current)
        since = np.where(has, col, since)
    created = table["created"].to_numpy(dtype="datetime64[s]")[open_rows]
    since = np.where(np.isnat(since), created, since)
    cut64 = np.datetime64(pd.Timestamp(cut).to_datetime64(), "s")
    waited = np.subtract(cut64, since)
    age = np.rint(waited.astype(np.int64) / _DAY_SECONDS).astype(np.int64)
    age = np.maximum(age, 0)
    chance = np.zeros(len(age))
    for i in range(len(stages) - 1):
        here = current == i
        if here.any():
            chance[here] = curves.win_probability(i, age[here], window[0], window[1])
    if chance_only:
        positive = chance > 0
        open_rows = open_rows[positive]
        current, age, chance = current[positive], age[positive], chance[positive]
    amount = table["amount"].to_numpy(dtype=float)[open_rows]
    if own_amounts is False:
        amount = np.full(len(amount), np.nan)
    elif own_amounts is not True:
        allowed = np.isin(np.asarray(stages, dtype=object)[current], list(own_amounts))
        amount = np.where(allowed, amount, np.nan)
    amount = np.where(np.isfinite(amount) & (amount > 0), amount, np.nan)
    return pd.DataFrame(
        {
            "id": table["id"].iloc[open_rows].astype(str).to_numpy(),
            "stage": np.asarray(stages, dtype=object)[current],
            "stage_index": current,
            "days_in_stage": age,
            "win_chance": chance,
            "amount": amount,
        }
    )


def _group_win_count_pmf(n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exact pmf of the sum of independent Binomial(n_g, p_g), truncated where negligible."""
    mean = float((n * p).sum())
    sd = float(np.sqrt((n * p * (1 - p)).sum()))
    top = int(np.ceil(mean + 12 * sd + 12))
    pmf = np.zeros(top + 1)
    pmf[0] = 1.0
    for n_g, p_g in zip(n, p, strict=True):
        if p_g <= 0 or n_g <= 0:
            continue
        sd_g = np.sqrt(n_g * p_g * (1 - p_g))
        k = np.arange(0, int(min(n_g, np.ceil(n_g * p_g + 12 * sd_g + 12))) + 1)
        log_pmf = (
            (
                gammaln(n_g + 1.0)
                - gammaln(k + 1.0)
                - gammaln(n_g - k + 1.0)
                + k * np.log(p_g)
                + (n_g - k) * np.log1p(-p_g)
            )
            if p_g < 1
            else np.where(k == n_g, 0.0, -np.inf)
        )
        pmf = np.convolve(pmf, np.exp(log_pmf))[: top + 1]
    return pmf / pmf.sum()


def _own_amount_sum_approx(
    p: np.ndarray,
    a: np.ndarray,
    stage: np.ndarray,
    trials: int,
    rng: np.random.Generator,
    multipliers: np.ndarray | None,
) -> np.ndarray:
    """Sum of ``a_j`` won with chance ``p_j m[t, stage_j]``: exact mean, variance and skewness per trial.

    Each deal is ``a B`` with ``B ~ Bernoulli(q)``: cumulants ``a q``, ``a^2 q (1 - q)``,
    ``a^3 q (1 - q)(1 - 2q)``, polynomials in the trial's multiplier, summed by stage
    from the sums of ``a^k p^j``; the trial's sum is the shifted lognormal with those three
    (as :func:`alignlib.simulation.approximate_deal_sum` draws large deal sums). Chances
    ``p m`` above 1 are not capped here (the exact path caps them).
    """
    n_stages = int(stage.max()) + 1
    m = np.ones((trials, n_stages)) if multipliers is None else multipliers[:, :n_stages]

    def by_stage(power: int, j: int) -> np.ndarray:
        return np.bincount(stage, weights=a**power * p**j, minlength=n_stages)

    a1, b1, b2 = by_stage(1, 1), by_stage(2, 1), by_stage(2, 2)
    c1, c2, c3 = by_stage(3, 1), by_stage(3, 2), by_stage(3, 3)
    mean = m @ a1
    var = m @ b1 - (m * m) @ b2
    third = m @ c1 - 3 * (m * m) @ c2 + 2 * (m * m * m) @ c3
    sd = np.sqrt(np.maximum(var, 0.0))
    z = rng.standard_normal(trials)
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = np.where(sd > 0, third / sd**3, 0.0)
    # the lognormal part's coefficient of variation u solves u^3 + 3u = gamma (Cardano)
    d = np.sqrt(gamma * gamma / 4.0 + 1.0)
    u = np.cbrt(gamma / 2.0 + d) - np.cbrt(d - gamma / 2.0)
    small = np.abs(u) < 1e-9
    safe_u = np.where(small, 1.0, u)
    sigma = np.sqrt(np.log1p(safe_u * safe_u))
    scale = sd / safe_u
    skewed = mean - scale + scale * np.exp(sigma * z - sigma * sigma / 2.0)
    return np.where(small, mean + sd * z, skewed)


@draws_doc
def simulate_open_pipeline(
    deals: pd.DataFrame,
    deal_size: DealSize | None,
    trials: int,
    rng: np.random.Generator,
    multipliers: np.ndarray | None = None,
) -> np.ndarray:
    """Revenue the open deals bring inside the window, per trial.

    With ``multipliers`` (trials x stages, :meth:`~alignlib.forecast.uncertainty.Uncertainty.multipliers`)
    a deal in stage ``i`` wins in trial ``t`` with ``min(1, win_chance x
    multipliers[t, i])``. Deals without their own amount are still drawn by stage from
    the exact count distribution: at the stage's largest multiplier ``M`` (the sum of
    binomials) and then thinned in each trial to ``multipliers[t, i] / M`` (a binomial:
    winning at ``p M`` and being kept with ``m / M`` is winning at ``p m``; exact
    wherever ``p M <= 1``).

    Parameters
    ----------
    deals : pandas.DataFrame
        :func:`open_deals`' table (``win_chance``, ``amount``, ``stage_index``,
        ``days_in_stage``).
    deal_size : DealSize or None
        Amount of a won deal without its own amount (None: such deals are worth 0).
    multipliers : ndarray, optional
        Per-trial, per-stage multipliers of the win chances (None: the chances as
        they are).

    Returns
    -------
    ndarray of float, shape (trials,)
    """
    out = np.zeros(trials)
    p = deals["win_chance"].to_numpy(dtype=float)
    amount = deals["amount"].to_numpy(dtype=float)
    stage = deals["stage_index"].to_numpy(dtype=np.int64)
    own = np.isfinite(amount) & (p > 0)
    if own.sum() >= OWN_EXACT_BELOW:
        out += _own_amount_sum_approx(p[own], amount[own], stage[own], trials, rng, multipliers)
    elif own.any():
        p_own, a_own, s_own = p[own], amount[own], stage[own]
        step = max(1, CHUNK_DRAWS // len(p_own))
        for lo in range(0, trials, step):
            hi = min(trials, lo + step)
            chance = p_own if multipliers is None else p_own * multipliers[lo:hi][:, s_own]
            wins = rng.random((hi - lo, len(p_own))) < chance
            out[lo:hi] += wins.astype(np.float64) @ a_own
    rest = ~np.isfinite(amount) & (p > 0)
    if rest.any() and deal_size is not None and multipliers is not None:
        k = np.zeros(trials, dtype=np.int64)
        for i in np.unique(stage[rest]):
            here = rest & (stage == i)
            top = float(multipliers[:, i].max())
            groups = (
                deals.loc[here]
                .groupby("days_in_stage", sort=False)["win_chance"]
                .agg(["size", "first"])
            )
            pmf = _group_win_count_pmf(
                groups["size"].to_numpy(dtype=np.int64),
                np.minimum(groups["first"].to_numpy(dtype=float) * top, 1.0),
            )
            cdf = np.cumsum(pmf)
            drawn = np.minimum(np.searchsorted(cdf, rng.random(trials), side="right"), len(pmf) - 1)
            k += rng.binomial(drawn, np.clip(multipliers[:, i] / top, 0.0, 1.0))
        out += deal_sums(rng, k, deal_size)
    elif rest.any() and deal_size is not None:
        groups = (
            deals.loc[rest]
            .groupby(["stage_index", "days_in_stage"], sort=False)["win_chance"]
            .agg(["size", "first"])
        )
        pmf = _group_win_count_pmf(
            groups["size"].to_numpy(dtype=np.int64), groups["first"].to_numpy(dtype=float)
        )
        cdf = np.cumsum(pmf)
        k = np.minimum(np.searchsorted(cdf, rng.random(trials), side="right"), len(pmf) - 1)
        out += deal_sums(rng, k, deal_size)
    return out


def top_deals(deals: pd.DataFrame, deal_size: DealSize | None, n: int = 10) -> pd.DataFrame:
    """The open deals that matter most to the landing: amount x win chance, largest first.

    Parameters
    ----------
    deals : pandas.DataFrame
        :func:`open_deals`' table.
    deal_size : DealSize or None
        The amount assumed where a deal has none (its mean).
    n : int
        How many.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``stage``, ``days_in_stage``, ``win_chance``, ``amount``,
        ``amount_known``, ``expected`` (ids only: no names or emails).
    """
    known = deals["amount"].notna().to_numpy()
    mean = deal_size.mean if deal_size is not None else 0.0
    amount = np.where(known, deals["amount"].to_numpy(dtype=float), mean)
    expected = amount * deals["win_chance"].to_numpy(dtype=float)
    # the n largest positive expectations, ties in table order (as nlargest keep="first")
    positive = np.flatnonzero(expected > 0)
    order = positive[np.argsort(-expected[positive], kind="stable")][:n]
    cols = ["id", "stage", "days_in_stage", "win_chance", "amount", "amount_known", "expected"]
    keep = ["id", "stage", "days_in_stage", "win_chance"]
    if "stage_index" in deals:
        keep.append("stage_index")
        cols.append("stage_index")
    frame = deals.iloc[order][keep].copy()
    frame["amount"] = amount[order]
    frame["amount_known"] = known[order]
    frame["expected"] = expected[order]
    return frame[cols].reset_index(drop=True)


def likely_close(
    curves: WinCurves,
    stage_index: np.ndarray,
    days_in_stage: np.ndarray,
    window: tuple[int, int],
    cut: pd.Timestamp,
) -> np.ndarray:
    """The day each open deal most likely closes, if it wins inside ``window``.

    The median of its time to win given that it wins inside the window: the first day by
    which half of its chance to win inside the window is reached (from the same curves
    that give the chance). The export's own close dates are not used: loaders keep them
    only for closed deals (an open deal's close date is a guess that moves).

    Parameters
    ----------
    curves : WinCurves
        Time-to-win per stage.
    stage_index, days_in_stage : ndarray of int
        Each deal's stage (index) and whole days in it.
    window : (int, int)
        Days from ``cut`` in which a win counts, inclusive.
    cut : pandas.Timestamp
        The day the days are counted from.

    Returns
    -------
    ndarray of datetime64[D]
        One date per deal; NaT where the deal cannot win inside the window.
    """
    stage_index = np.asarray(stage_index, dtype=np.int64)
    ages = np.asarray(days_in_stage, dtype=np.int64)
    start, end = window
    day = np.full(len(ages), -1, dtype=np.int64)
    for stage in np.unique(stage_index):
        here = np.flatnonzero(stage_index == stage)
        total = curves.win_probability(int(stage), ages[here], start, end)
        found = np.full(len(here), -1, dtype=np.int64)
        for t in range(start, end + 1):
            todo = (found < 0) & (total > 0)
            if not todo.any():
                break
            upto = curves.win_probability(int(stage), ages[here[todo]], start, t)
            hit = upto >= total[todo] / 2
            found[np.flatnonzero(todo)[hit]] = t
        day[here] = found
    base = np.datetime64(pd.Timestamp(cut).normalize().date(), "D")
    out = base + day.astype("timedelta64[D]")
    return np.where(day >= 0, out, np.datetime64("NaT"))


def describe_deals(
    top: pd.DataFrame,
    table: pd.DataFrame,
    curves: WinCurves,
    window: tuple[int, int],
    cut: pd.Timestamp,
) -> pd.DataFrame:
    """The listed deals with their name, owner and likely close, from the CRM table.

    Parameters
    ----------
    top : pandas.DataFrame
        :func:`top_deals`' table (with ``stage_index``).
    table : pandas.DataFrame
        The normalised CRM table the deals come from.
    curves : WinCurves
        The curves their chances come from.
    window : (int, int)
        The window of those chances (days from ``cut``).
    cut : pandas.Timestamp
        The day the window starts from.

    Returns
    -------
    pandas.DataFrame
        ``top`` with ``name`` (the export's deal or account name; empty where it has
        none: a contact's own name never), ``owner`` and ``likely_close`` (see
        :func:`likely_close`), without ``stage_index``.
    """
    out = top.drop(columns=["stage_index"], errors="ignore").copy()
    ids = table["id"].astype(str)
    rows = table.loc[ids.isin(set(out["id"])).to_numpy()]
    rows = rows.assign(id=rows["id"].astype(str)).drop_duplicates("id").set_index("id")
    for column in ("deal_name", "owner"):
        values = rows[column] if column in rows else pd.Series(dtype=object)
        mapped = out["id"].map(values.astype(object).where(values.notna(), ""))
        out["name" if column == "deal_name" else column] = mapped.fillna("").astype(str)
    if "stage_index" in top and len(top):
        out["likely_close"] = likely_close(
            curves, top["stage_index"].to_numpy(), top["days_in_stage"].to_numpy(), window, cut
        )
    else:
        out["likely_close"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[s]")
    return out
