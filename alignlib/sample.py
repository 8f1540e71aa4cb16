"""The deterministic sample-data generator: realistic (and realistically messy) CRM exports.

:func:`write_sample` writes a HubSpot contacts export, a Salesforce leads and
opportunities report pair and a monthly marketing spend file into one folder.
The same seed gives byte-identical files. ``data/sample/README.md`` documents the
files, the mess they contain on purpose, and the rates the generator implies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: As-of date of the sample exports (the day they were "taken").
AS_OF = dt.date(2026, 11, 20)
#: First day of the sample history.
START = dt.date(2024, 10, 1)

#: Canonical channels, in the order the parameters list them.
CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social",
    "events",
    "content_seo",
    "email",
    "referral",
)

#: HubSpot ``Original Source`` values each channel's leads carry (value, weight).
HUBSPOT_SOURCES: dict[str, tuple[tuple[str, float], ...]] = {
    "paid_search": (("Paid Search", 1.0),),
    "paid_social": (("Paid Social", 0.85), ("Social Media", 0.15)),
    "events": (("Offline Sources", 0.85), ("Other Campaigns", 0.15)),
    "content_seo": (("Organic Search", 0.75), ("Direct Traffic", 0.25)),
    "email": (("Email Marketing", 1.0),),
    "referral": (("Referrals", 1.0),),
}
#: Salesforce ``LeadSource`` picklist values for each channel (value, weight).
SALESFORCE_SOURCES: dict[str, tuple[tuple[str, float], ...]] = {
    "paid_search": (("Paid Search", 1.0),),
    "paid_social": (("Social Media", 1.0),),
    "events": (("Trade Show", 0.8), ("Seminar - Internal", 0.2)),
    "content_seo": (("Web", 1.0),),
    "email": (("Email", 1.0),),
    "referral": (("Partner Referral", 0.7), ("Employee Referral", 0.3)),
}
_DRILL_DOWN = {
    "paid_search": "google",
    "paid_social": "linkedin",
    "events": "import",
    "content_seo": "google",
    "email": "nurture",
    "referral": "partner",
}

_STAGES = ("lead", "mql", "sal", "sql", "opportunity", "won")


@dataclass(frozen=True)
class ChannelProfile:
    """How one channel's leads behave in the generator."""

    share: float
    cost_per_lead: float
    rates: tuple[float, float, float, float, float]  # lead->mql ... opportunity->won
    deal_mean: float
    close_days: float  # mean days opportunity -> close
    season: dict[int, float] = field(default_factory=dict)  # month -> volume multiplier


#: The generator's truth, per channel (shares, CPL, stage rates, deal size, cycle).
PROFILES: dict[str, ChannelProfile] = {
    "paid_search": ChannelProfile(0.30, 120, (0.29, 0.57, 0.49, 0.55, 0.25), 20000, 59),
    "paid_social": ChannelProfile(0.20, 80, (0.22, 0.50, 0.45, 0.50, 0.22), 17000, 54),
    "events": ChannelProfile(
        0.10,
        260,
        (0.40, 0.62, 0.52, 0.58, 0.28),
        27500,
        69,
        {3: 1.5, 6: 0.8, 7: 0.6, 8: 0.5, 9: 1.6, 10: 1.3, 12: 0.4},
    ),
    "content_seo": ChannelProfile(0.20, 35, (0.30, 0.57, 0.49, 0.55, 0.26), 21000, 59),
    "email": ChannelProfile(0.10, 15, (0.31, 0.52, 0.46, 0.52, 0.24), 18500, 54),
    "referral": ChannelProfile(0.10, 60, (0.42, 0.68, 0.56, 0.62, 0.32), 30000, 49),
}

#: Whole-market seasonality of new leads by calendar month.
SEASONALITY = {
    1: 1.00,
    2: 1.02,
    3: 1.12,
    4: 1.00,
    5: 0.98,
    6: 0.95,
    7: 0.90,
    8: 0.80,
    9: 1.15,
    10: 1.06,
    11: 1.00,
    12: 0.78,
}
BASE_MONTHLY_LEADS = 1500.0
MONTHLY_GROWTH = 0.025

#: Mean and standard deviation (days) of each transition's lag; opportunity -> close per channel.
LAGS = {"lead": (10.0, 6.0), "sal": (9.0, 5.0), "sql": (11.0, 6.0)}
#: Median first-response hours by rep (the SLA is 4 hours); lognormal sigma.
REPS: tuple[tuple[str, float], ...] = (
    ("Alex Rivera", 1.6),
    ("Blair Chen", 2.4),
    ("Casey Okafor", 3.0),
    ("Devon Hart", 5.5),
    ("Emery Novak", 2.0),
    ("Finley Ruiz", 3.6),
    ("Harper Quinn", 7.0),
    ("Jordan Patel", 2.8),
    ("Kendall Moss", 4.2),
)
_RESPONSE_SIGMA = 0.9

_FIRST = (
    "Ava Ben Cleo Dan Eli Faye Gus Hana Ian Jade Kai Lena Milo Nia Omar Pia Quin Rosa Sam Tia "
    "Uma Vic Wes Xia Yara Zed Abe Bea Cal Dee"
).split()
_LAST = (
    "Test Sample Demo Fake Mock Dummy Placeholder Example Fixture Stub Lorem Ipsum Dolor Amet "
    "Synth Pseudo Proxy Noname Doe Roe"
).split()
_COMPANIES = (
    "Acme Example Globex Initech Umbrella Hooli Vandelay Stark Wayne Wonka Tyrell Cyberdyne "
    "Soylent Gringotts Oscorp Massive Dynamic"
).split()

HUBSPOT_COLUMNS = (
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Create Date",
    "Lifecycle Stage",
    "Lead Status",
    "Original Source",
    "Original Source Drill-Down 1",
    "Contact owner",
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Sales Accepted Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
    "First Outreach Date",
    "Close Date",
    "Recent Deal Amount",
    "Associated Deal",
    "Closed Lost Date",
    "Closed Lost Reason",
    "Number of Sessions",
)
_HS_STAGE_DATE = {
    "lead": "Became a Lead Date",
    "mql": "Became a Marketing Qualified Lead Date",
    "sal": "Sales Accepted Date",
    "sql": "Became a Sales Qualified Lead Date",
    "opportunity": "Became an Opportunity Date",
    "won": "Became a Customer Date",
}
_HS_LABEL = {
    "lead": "Lead",
    "mql": "Marketing Qualified Lead",
    "sal": "Sales Accepted Lead",
    "sql": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "won": "Customer",
}
_HS_FMT = "%Y-%m-%d %H:%M"
_SF_DT_FMT = "%Y-%m-%dT%H:%M:%S.000Z"
_SF_DATE_FMT = "%Y-%m-%d"
_LOST_REASONS = ("Price", "Timing", "Competitor", "No decision", "Features")


def simulate_contacts(
    seed: int = 2026,
    *,
    scale: float = 1.0,
    start: dt.date = START,
    as_of: dt.date = AS_OF,
) -> pd.DataFrame:
    """Simulate the clean "truth" behind the exports: one row per contact.

    Parameters
    ----------
    seed : int
        Seed of the generator; the same seed gives the same contacts.
    scale : float
        Multiplier on the monthly lead volume (1.0 gives about 1,500 leads in
        the first month, growing 2.5% a month, about 56,000 in total).
    start, as_of : datetime.date
        First day of the history and the day the export is taken; stages whose
        date would fall after ``as_of`` have not happened yet.

    Returns
    -------
    pandas.DataFrame
        Columns ``created``, ``channel``, ``entered_<stage>`` (datetime64, NaT if
        not reached), ``responded`` (first sales outreach), ``owner``,
        ``outcome`` (won/lost/open/None), ``closed`` (close date of won or lost),
        ``amount``, ``recycled`` (bool), ``subscriber_only`` (bool).
    """
    rng = np.random.default_rng(seed)
    as_of_ts = pd.Timestamp(as_of)
    months = pd.period_range(pd.Period(start, "M"), pd.Period(as_of, "M"), freq="M")
    chan_idx = np.arange(len(CHANNELS))
    shares = np.array([PROFILES[c].share for c in CHANNELS])

    created_parts, channel_parts = [], []
    for i, m in enumerate(months):
        first = m.start_time
        last = min(m.end_time.normalize(), as_of_ts - pd.Timedelta(days=1))
        n_days = (last - first).days + 1
        full_days = m.days_in_month
        expected = (
            scale
            * BASE_MONTHLY_LEADS
            * (1 + MONTHLY_GROWTH) ** i
            * SEASONALITY[m.month]
            * n_days
            / full_days
        )
        weights = shares * np.array([PROFILES[c].season.get(m.month, 1.0) for c in CHANNELS])
        expected_by_channel = expected * weights / weights.sum() * (weights.sum() / shares.sum())
        counts = rng.poisson(expected_by_channel)
        n = int(counts.sum())
        channel_parts.append(np.repeat(chan_idx, counts))
        # Fewer leads at weekends: draw days with weekday weights.
        days = pd.date_range(first, periods=n_days, freq="D")
        w = np.where(days.day_of_week >= 5, 0.35, 1.0)
        day = rng.choice(n_days, size=n, p=w / w.sum())
        minutes = np.clip(rng.normal(13 * 60, 180, size=n), 0, 24 * 60 - 1).astype(np.int64)
        created_parts.append(
            first.to_datetime64() + day.astype("timedelta64[D]") + minutes.astype("timedelta64[m]")
        )
    created = pd.to_datetime(np.concatenate(created_parts)).as_unit("s")
    channel = np.concatenate(channel_parts)
    n = len(channel)

    rates = np.array([PROFILES[c].rates for c in CHANNELS])[channel]  # (n, 5)
    u = rng.random((n, 5))

    def gamma_days(mean: float | np.ndarray, sd: float | np.ndarray, size: int) -> np.ndarray:
        shape = (np.asarray(mean) / np.asarray(sd)) ** 2
        scale_ = np.asarray(sd) ** 2 / np.asarray(mean)
        return rng.gamma(shape, scale_, size=size)

    def td(days: np.ndarray) -> pd.TimedeltaIndex:
        return pd.to_timedelta(np.round(days * 24 * 60), unit="min")

    # 10% signed up as subscribers (newsletter) before becoming a lead.
    pre_lead = rng.random(n) < 0.10
    lead_delay = np.where(pre_lead, gamma_days(30.0, 20.0, n), 0.0)
    t_lead = created + td(lead_delay)

    t_mql = t_lead + td(gamma_days(*LAGS["lead"], n))
    adv_mql = u[:, 0] < rates[:, 0]

    owner = rng.integers(0, len(REPS), size=n)
    rep_median = np.array([r[1] for r in REPS])[owner]
    # Reps respond faster over time (routing improvements): about 25% faster by the end.
    months_in = (created - created.min()).days.to_numpy() / 30.4
    response_h = rep_median * (1 - 0.01 * months_in) * np.exp(rng.normal(0, _RESPONSE_SIGMA, n))
    never_responded = rng.random(n) < 0.04
    t_resp = t_mql + td(response_h / 24)
    # Fast responses are accepted more often: the SLA matters.
    p_sal = rates[:, 1] + np.where(response_h <= 4, 0.06, -0.08)
    adv_sal = (u[:, 1] < p_sal) & ~never_responded
    t_sal = t_resp + td(gamma_days(1.0, 0.8, n))
    recycled_pick = rng.random(n) < 0.6  # of MQLs not accepted: back to nurture vs disqualified

    t_sql = t_sal + td(gamma_days(*LAGS["sal"], n))
    t_opp = t_sql + td(gamma_days(*LAGS["sql"], n))
    close_mean = np.array([PROFILES[c].close_days for c in CHANNELS])[channel]
    t_close = t_opp + td(gamma_days(close_mean, 20.0, n))
    won = u[:, 4] < rates[:, 4]

    deal_mean = np.array([PROFILES[c].deal_mean for c in CHANNELS])[channel]
    sigma = 0.38
    amount = np.round(np.exp(rng.normal(np.log(deal_mean) - sigma**2 / 2, sigma)) / 50) * 50

    reached = {"lead": t_lead <= as_of_ts}
    reached["mql"] = reached["lead"] & adv_mql & (t_mql <= as_of_ts)
    reached["sal"] = reached["mql"] & adv_sal & (t_sal <= as_of_ts)
    reached["sql"] = reached["sal"] & (u[:, 2] < rates[:, 2]) & (t_sql <= as_of_ts)
    reached["opportunity"] = reached["sql"] & (u[:, 3] < rates[:, 3]) & (t_opp <= as_of_ts)
    closed = reached["opportunity"] & (t_close <= as_of_ts)
    reached["won"] = closed & won

    times = {
        "lead": t_lead,
        "mql": t_mql,
        "sal": t_sal,
        "sql": t_sql,
        "opportunity": t_opp,
        "won": t_close,
    }
    out = pd.DataFrame({"created": created, "channel": np.asarray(CHANNELS)[channel]})
    for s in _STAGES:
        out[f"entered_{s}"] = pd.Series(times[s]).where(np.asarray(reached[s]))
    responded_ok = np.asarray(reached["mql"]) & ~never_responded & (t_resp <= as_of_ts)
    out["responded"] = pd.Series(t_resp).where(responded_ok)
    out["owner"] = np.where(reached["mql"], np.asarray([r[0] for r in REPS])[owner], "")
    outcome = np.full(n, "", dtype=object)
    outcome[np.asarray(reached["opportunity"])] = "open"
    outcome[np.asarray(closed & ~won)] = "lost"
    outcome[np.asarray(reached["won"])] = "won"
    out["outcome"] = outcome
    out["closed"] = pd.Series(t_close).where(np.asarray(closed))
    out["amount"] = np.where(np.asarray(reached["opportunity"]), amount, np.nan)
    decided = (t_mql + pd.Timedelta(days=5)) <= as_of_ts
    out["recycled"] = (
        np.asarray(reached["mql"]) & ~np.asarray(adv_sal) & np.asarray(decided) & recycled_pick
    )
    out["rejected"] = (
        np.asarray(reached["mql"]) & ~np.asarray(adv_sal) & np.asarray(decided) & ~recycled_pick
    )
    out["subscriber_only"] = ~np.asarray(reached["lead"])
    out["rand"] = rng.random(n)  # for downstream cosmetic choices
    return out.sort_values("created", kind="stable").reset_index(drop=True)


def _fmt(s: pd.Series, fmt: str) -> pd.Series:
    return s.dt.strftime(fmt).fillna("")


def _pick(values: tuple[tuple[str, float], ...], u: np.ndarray) -> np.ndarray:
    names = np.array([v for v, _ in values], dtype=object)
    cum = np.cumsum([w for _, w in values])
    return names[np.searchsorted(cum / cum[-1], u, side="right").clip(max=len(names) - 1)]


def _current_stage(truth: pd.DataFrame) -> pd.Series:
    label = pd.Series("Subscriber", index=truth.index, dtype=object)
    for s in _STAGES:
        label = label.mask(truth[f"entered_{s}"].notna(), _HS_LABEL[s])
    return label


def hubspot_export(truth: pd.DataFrame, seed: int = 2026, *, mess: bool = True) -> pd.DataFrame:
    """Render simulated contacts as a HubSpot contacts export (all values as text).

    Lost deals keep Lifecycle Stage ``Opportunity`` and carry ``Closed Lost Date``
    and ``Closed Lost Reason`` (custom contact properties a workflow copies from
    the deal); ``First Outreach Date`` is the first sales touch, used for the SLA.
    With ``mess`` the export gets the problems real ones have (see the README).
    """
    rng = np.random.default_rng([seed, 1])
    n = len(truth)
    gaps = rng.integers(1, 40, size=n)
    record_id = 40_000_000 + np.cumsum(gaps)
    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    email = (
        pd.Series(first).str[0].str.lower()
        + pd.Series(last).str.lower()
        + pd.Series(record_id % 10_000).astype(str)
        + "@example.com"
    )
    stage = _current_stage(truth)
    evangelist = (stage == "Customer") & (truth["rand"] < 0.05)
    stage = stage.mask(evangelist, "Evangelist")
    status = pd.Series("", index=truth.index, dtype=object)
    lead_only = stage == "Lead"
    status = status.mask(lead_only & (truth["rand"] < 0.3), "New")
    mql = truth["entered_mql"].notna()
    status = status.mask(mql & truth["responded"].isna(), "New")
    status = status.mask(mql & truth["responded"].notna(), "Attempted to Contact")
    status = status.mask(truth["recycled"], "Bad Timing")
    status = status.mask(truth["rejected"], "Unqualified")
    status = status.mask(truth["entered_sal"].notna(), "In Progress")
    status = status.mask(truth["entered_sql"].notna(), "Connected")
    status = status.mask(truth["outcome"] == "open", "Open Deal")
    status = status.mask(truth["outcome"] == "lost", "Bad Timing")
    status = status.mask(truth["outcome"] == "won", "Connected")

    df = pd.DataFrame(
        {
            "Record ID": record_id.astype(str),
            "First Name": first,
            "Last Name": last,
            "Email": email,
            "Create Date": _fmt(truth["created"], _HS_FMT),
            "Lifecycle Stage": stage,
            "Lead Status": status,
            "Original Source": "",
            "Original Source Drill-Down 1": "",
            "Contact owner": truth["owner"],
        }
    )
    u_src = rng.random(n)
    for c in CHANNELS:
        sel = (truth["channel"] == c).to_numpy()
        df.loc[sel, "Original Source"] = _pick(HUBSPOT_SOURCES[c], u_src[sel])
        df.loc[sel, "Original Source Drill-Down 1"] = _DRILL_DOWN[c]
    for s in _STAGES:
        df[_HS_STAGE_DATE[s]] = _fmt(truth[f"entered_{s}"], _HS_FMT)
    df["First Outreach Date"] = _fmt(truth["responded"], _HS_FMT)
    won = truth["outcome"] == "won"
    lost = truth["outcome"] == "lost"
    df["Close Date"] = _fmt(truth["closed"].where(won), _HS_FMT)
    won_amount = truth["amount"].where(won).to_numpy(dtype=float)
    df["Recent Deal Amount"] = np.where(
        np.isnan(won_amount), "", np.nan_to_num(won_amount).astype(np.int64).astype(str)
    )
    # The deal a contact's opportunity is (HubSpot exports an association column with the
    # deal's name): the account's name, from the record id, so no random draw moves.
    opportunity = truth["entered_opportunity"].notna().to_numpy()
    account = np.array(_COMPANIES, dtype=object)[record_id % len(_COMPANIES)]
    seats = (10 * (1 + (record_id // len(_COMPANIES)) % 40)).astype(str)
    df["Associated Deal"] = np.where(opportunity, account + " - " + seats + " seats", "")
    df["Closed Lost Date"] = _fmt(truth["closed"].where(lost), _HS_FMT)
    reasons = np.array(_LOST_REASONS, dtype=object)[rng.integers(0, len(_LOST_REASONS), n)]
    df["Closed Lost Reason"] = np.where(lost, reasons, "")
    df["Number of Sessions"] = rng.poisson(6, n).astype(str)
    df = df.astype(object)

    if not mess or n < 1000:
        return df[list(HUBSPOT_COLUMNS)]
    return _hubspot_mess(df, truth, rng)[list(HUBSPOT_COLUMNS)]


def _hubspot_mess(df: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    df = df.copy()
    # Blank "Became a Lead Date" for contacts imported from lists (2%).
    leads = np.flatnonzero(df["Became a Lead Date"].to_numpy() != "")
    df.loc[rng.choice(leads, size=len(leads) // 50, replace=False), "Became a Lead Date"] = ""
    # Skipped stages: SQL date missing for 6% of opportunities, SAL date for 10% of SQLs,
    # MQL date for 3% of opportunities (sales-sourced, jumped straight to Opportunity).
    opp = np.flatnonzero(df["Became an Opportunity Date"].to_numpy() != "")
    sqls = np.flatnonzero(df["Became a Sales Qualified Lead Date"].to_numpy() != "")
    df.loc[rng.choice(opp, size=len(opp) * 6 // 100, replace=False), _HS_STAGE_DATE["sql"]] = ""
    df.loc[rng.choice(sqls, size=len(sqls) // 10, replace=False), _HS_STAGE_DATE["sal"]] = ""
    df.loc[rng.choice(opp, size=len(opp) * 3 // 100, replace=False), _HS_STAGE_DATE["mql"]] = ""
    # Unparseable dates.
    bad_values = ["14/03/2025 09:21", "not set", "2025-02-30 10:00", "#VALUE!", "2025-13-01 08:00"]
    mqls = np.flatnonzero(df[_HS_STAGE_DATE["mql"]].to_numpy() != "")
    for k, i in enumerate(rng.choice(mqls, size=10, replace=False)):
        col = _HS_STAGE_DATE["mql"] if k % 2 else "Create Date"
        df.loc[i, col] = bad_values[k % len(bad_values)]
    # Dates out of order: an MQL date weeks before the lead date; a customer date before
    # the opportunity date.
    ok = mqls[(df.loc[mqls, "Became a Lead Date"].to_numpy() != "")]
    for i in rng.choice(ok, size=10, replace=False):
        lead = pd.Timestamp(df.loc[i, "Became a Lead Date"])
        df.loc[i, _HS_STAGE_DATE["mql"]] = (lead - pd.Timedelta(days=25)).strftime(_HS_FMT)
    custs = np.flatnonzero(df[_HS_STAGE_DATE["won"]].to_numpy() != "")
    custs = custs[df.loc[custs, _HS_STAGE_DATE["opportunity"]].to_numpy() != ""]
    for i in rng.choice(custs, size=5, replace=False):
        o = pd.Timestamp(df.loc[i, _HS_STAGE_DATE["opportunity"]])
        df.loc[i, _HS_STAGE_DATE["won"]] = (o - pd.Timedelta(days=3)).strftime(_HS_FMT)
    # Unknown lifecycle labels (custom stages someone added).
    for k, i in enumerate(rng.choice(n, size=8, replace=False)):
        df.loc[i, "Lifecycle Stage"] = ("Prospect", "Partner")[k % 2]
    # Negative deal amounts (refund booked as a deal).
    won = np.flatnonzero(df["Recent Deal Amount"].to_numpy() != "")
    for i in rng.choice(won, size=2, replace=False):
        df.loc[i, "Recent Deal Amount"] = "-" + str(df.loc[i, "Recent Deal Amount"])
    # The same Record ID twice with different content (a stale copy from a merged export).
    stale_src = rng.choice(mqls, size=15, replace=False)
    stale = df.loc[stale_src].copy()
    stale["Lifecycle Stage"] = "Lead"
    stale["Lead Status"] = "Open"
    # Exact duplicate rows (the same export pasted twice).
    dups = df.loc[rng.choice(n, size=60, replace=False)].copy()
    extra = pd.concat([stale, dups])
    positions = rng.integers(0, n, size=len(extra))
    order = np.concatenate([np.arange(n, dtype=float), positions + 0.5])
    combined = pd.concat([df, extra], ignore_index=True)
    return combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _sf_id(prefix: str, numbers: np.ndarray) -> np.ndarray:
    """Salesforce-style 18-character ids (prefix + base-62 body + case checksum)."""
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    body_len = 15 - len(prefix)
    digits = np.empty((len(numbers), body_len), dtype="<U1")
    x = numbers.astype(np.int64).copy()
    for j in range(body_len - 1, -1, -1):
        digits[:, j] = alphabet[x % 62]
        x //= 62
    id15: np.ndarray | list[str] = (
        np.char.add(prefix, np.apply_along_axis("".join, 1, digits)) if len(numbers) else []
    )
    chars = np.array([list(s) for s in id15]).reshape(len(numbers), 15)
    upper = np.char.isupper(chars)
    suffix_alpha = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"))
    suffix = []
    for k in range(3):
        bits = upper[:, k * 5 : (k + 1) * 5] @ (1 << np.arange(5))
        suffix.append(suffix_alpha[bits])
    return np.char.add(np.char.add(np.char.add(id15, suffix[0]), suffix[1]), suffix[2])


_SF_OPEN_STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote")


def salesforce_exports(
    truth: pd.DataFrame, seed: int = 2026, *, mess: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Render simulated contacts as Salesforce Leads and Opportunities report exports.

    Lead ``Status`` uses a common custom picklist that makes the funnel visible:
    ``Open - Not Contacted`` (lead), ``Marketing Qualified`` (MQL),
    ``Working - Contacted`` (accepted by sales, SAL), ``Closed - Converted``
    (converted to an opportunity: SQL), ``Closed - Not Converted`` (returned to
    nurture or disqualified). Dates use the API / Data Loader formats
    (``2025-03-14T09:21:00.000Z`` for date-times, ``2025-03-14`` for dates).
    """
    rng = np.random.default_rng([seed, 2])
    t = truth.loc[~truth["subscriber_only"]].reset_index(drop=True)
    n = len(t)
    lead_id = _sf_id("00Q", 7_000_000 + np.arange(n) * 37)
    owner_ids = _sf_id("005", 900_000 + np.arange(len(REPS)) * 11)
    rep_index = {name: i for i, (name, _) in enumerate(REPS)}
    owner = np.array(
        [owner_ids[rep_index[o]] if o else owner_ids[0] for o in t["owner"]], dtype=object
    )
    status = pd.Series("Open - Not Contacted", index=t.index, dtype=object)
    status = status.mask(t["entered_mql"].notna(), "Marketing Qualified")
    status = status.mask(t["recycled"] | t["rejected"], "Closed - Not Converted")
    status = status.mask(t["entered_sal"].notna(), "Working - Contacted")
    converted = t["entered_opportunity"].notna()
    # A few accepted leads that never became opportunities are closed out.
    status = status.mask(t["entered_sql"].notna() & ~converted, "Working - Contacted")
    status = status.mask(converted, "Closed - Converted")
    opp_rows = np.flatnonzero(converted.to_numpy())
    opp_id = _sf_id("006", 3_000_000 + np.arange(len(opp_rows)) * 53)
    conv_opp = np.full(n, "", dtype=object)
    conv_opp[opp_rows] = opp_id
    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
    company = np.array(_COMPANIES, dtype=object)[rng.integers(0, len(_COMPANIES), n)]
    u = rng.random(n)
    source = np.empty(n, dtype=object)
    for c in CHANNELS:
        sel = (t["channel"] == c).to_numpy()
        source[sel] = _pick(SALESFORCE_SOURCES[c], u[sel])
    leads = pd.DataFrame(
        {
            "Id": lead_id,
            "FirstName": first,
            "LastName": last,
            "Email": pd.Series(first).str[0].str.lower()
            + pd.Series(last).str.lower()
            + pd.Series(np.arange(n) % 10_000).astype(str)
            + "@example.com",
            "Company": company,
            "Status": status,
            "LeadSource": source,
            "CreatedDate": _fmt(t["entered_lead"], _SF_DT_FMT),
            "IsConverted": np.where(converted, "true", "false"),
            "ConvertedDate": _fmt(t["entered_opportunity"], _SF_DATE_FMT),
            "ConvertedOpportunityId": conv_opp,
            "OwnerId": owner,
        }
    ).astype(object)

    o = t.iloc[opp_rows].reset_index(drop=True)
    m = len(o)
    won = (o["outcome"] == "won").to_numpy()
    lost = (o["outcome"] == "lost").to_numpy()
    is_open = ~(won | lost)
    age = (pd.Timestamp(AS_OF) - o["entered_opportunity"]).dt.days.to_numpy()
    open_stage = np.array(_SF_OPEN_STAGES + ("Negotiation/Review",), dtype=object)[
        np.clip(age // 12, 0, 4)
    ]
    stage_name = np.where(won, "Closed Won", np.where(lost, "Closed Lost", open_stage))
    expected_close = o["entered_opportunity"] + pd.to_timedelta(
        np.maximum(60 - age, 7) + 14, unit="D"
    )
    close = o["closed"].where(~is_open, expected_close)
    opps = pd.DataFrame(
        {
            "Id": opp_id,
            "Name": pd.Series(company[opp_rows]) + " - New Business",
            "AccountId": _sf_id("001", 5_000_000 + np.arange(m) * 29),
            "StageName": stage_name,
            "Amount": o["amount"].map(lambda v: f"{v:.2f}"),
            "CloseDate": _fmt(close, _SF_DATE_FMT),
            "CreatedDate": _fmt(o["entered_opportunity"], _SF_DT_FMT),
            "IsClosed": np.where(is_open, "false", "true"),
            "IsWon": np.where(won, "true", "false"),
            "LeadSource": source[opp_rows],
            "OwnerId": owner[opp_rows],
        }
    ).astype(object)
    if mess and n >= 200 and m >= 20:
        # Exact duplicates, one Id twice with different content, unparseable and
        # out-of-order dates, unknown status labels, a negative amount.
        dup = leads.loc[rng.choice(n, size=6, replace=False)]
        stale = leads.loc[rng.choice(n, size=1)].assign(Status="Open - Not Contacted")
        leads = pd.concat([leads, dup, stale], ignore_index=True)
        for k, i in enumerate(rng.choice(n, size=3, replace=False)):
            leads.loc[i, "CreatedDate"] = ("03/14/2025 9:21 AM", "", "2025-02-30T10:00:00.000Z")[k]
        conv = np.flatnonzero(leads["ConvertedDate"].to_numpy() != "")
        for i in rng.choice(conv, size=2, replace=False):
            c = pd.Timestamp(leads.loc[i, "ConvertedDate"])
            leads.loc[i, "CreatedDate"] = (c + pd.Timedelta(days=4)).strftime(_SF_DT_FMT)
        for i in rng.choice(n, size=2, replace=False):
            leads.loc[i, "Status"] = "Nurture"
        i = int(rng.integers(0, m))
        opps.loc[i, "Amount"] = "-" + str(opps.loc[i, "Amount"])
        opps = pd.concat([opps, opps.iloc[[int(rng.integers(0, m))]]], ignore_index=True)
    return leads, opps


def monthly_spend(truth: pd.DataFrame, seed: int = 2026) -> pd.DataFrame:
    """Marketing spend by month and channel: leads bought x cost per lead x noise.

    The last month covers spend to the as-of date only.
    """
    rng = np.random.default_rng([seed, 3])
    t = truth.loc[~truth["subscriber_only"]]
    month = t["entered_lead"].dt.to_period("M")
    counts = t.groupby([month.rename("month"), t["channel"]]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(CHANNELS), fill_value=0)
    cpl = np.array([PROFILES[c].cost_per_lead for c in CHANNELS])
    noise = np.exp(rng.normal(0, 0.07, size=counts.shape))
    spend = counts.to_numpy() * cpl * noise
    out = pd.DataFrame(spend, index=counts.index, columns=counts.columns).stack()
    out = out.rename("spend").reset_index()
    out["month"] = out["month"].astype(str)
    out["spend"] = out["spend"].map(lambda v: f"{v:.2f}")
    out["currency"] = "USD"
    return out[["month", "channel", "spend", "currency"]]


@dataclass(frozen=True)
class SampleFiles:
    """Paths written by :func:`write_sample`."""

    hubspot_contacts: Path
    salesforce_leads: Path
    salesforce_opportunities: Path
    marketing_spend: Path

    def to_dict(self) -> dict[str, str]:
        """The paths as strings, by file role."""
        return {k: str(v) for k, v in self.__dict__.items()}


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)


def write_sample(
    out: str | Path, seed: int = 2026, *, scale: float = 1.0, salesforce_scale: float = 0.06
) -> SampleFiles:
    """Write the sample exports into ``out`` (created if missing); same seed, same bytes.

    Parameters
    ----------
    out : str or Path
        Folder to write into.
    seed : int
        Generator seed.
    scale : float
        Volume multiplier for the HubSpot export and the spend file.
    salesforce_scale : float
        Volume multiplier for the Salesforce pair: a smaller, separate org (the
        enterprise team's Salesforce), so the sample stays a few megabytes.

    Returns
    -------
    SampleFiles
        The four paths written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truth = simulate_contacts(seed, scale=scale)
    files = SampleFiles(
        out / "hubspot_contacts.csv",
        out / "salesforce_leads.csv",
        out / "salesforce_opportunities.csv",
        out / "marketing_spend.csv",
    )
    _write_csv(hubspot_export(truth, seed), files.hubspot_contacts)
    _write_csv(monthly_spend(truth, seed), files.marketing_spend)
    sf_truth = simulate_contacts(seed + 1, scale=salesforce_scale)
    leads, opps = salesforce_exports(sf_truth, seed)
    _write_csv(leads, files.salesforce_leads)
    _write_csv(opps, files.salesforce_opportunities)
    return files
