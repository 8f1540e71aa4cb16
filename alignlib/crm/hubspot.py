"""HubSpot contacts exports: lifecycle stages with their "Became a ... Date" columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alignlib.crm.amounts import amount_column
from alignlib.crm.dates import Dates, order_problems
from alignlib.crm.duplicates import duplicates
from alignlib.crm.labels import (
    UnknownLabels,
    channels,
    check_stages,
    opportunity_index,
    outcome_index,
    outcomes,
    outside_funnel,
    reached_stages,
    stage_index,
)
from alignlib.crm.problems import Problems
from alignlib.crm.read import ReadOptions, first_present, read_raw, require, text
from alignlib.crm.table import IngestResult, assemble, finish, frame_of
from alignlib.errors import DataError
from alignlib.taxonomy import DEFAULT_STAGE_NAMES, HUBSPOT_STAGE_MAPPING

#: HubSpot ``Original Source`` -> canonical channel.
HUBSPOT_SOURCE_CHANNELS: dict[str, str] = {
    "Paid Search": "paid_search",
    "Paid Social": "paid_social",
    "Social Media": "paid_social",
    "Offline Sources": "events",
    "Other Campaigns": "events",
    "Organic Search": "content_seo",
    "Direct Traffic": "content_seo",
    "Email Marketing": "email",
    "Referrals": "referral",
}

#: Default HubSpot columns for fields without a "Became a ... Date" property.
HUBSPOT_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "entered_sal": ("Sales Accepted Date",),
    "first_response": (
        "First Outreach Date",
        "First Sales Activity Date",
        "Date of first engagement",
    ),
    "lost_date": ("Closed Lost Date",),
    "lost_reason": ("Closed Lost Reason",),
    "close_date": ("Close Date",),
    "amount": ("Recent Deal Amount",),
    "owner": ("Contact owner", "HubSpot Owner"),
    # the contact's deal (an association column): the deal's name, never the contact's
    "deal_name": ("Associated Deal", "Deal Name"),
    "source": ("Original Source",),
    "lead_status": ("Lead Status",),
}


def hubspot_date_column(label: str) -> str:
    """HubSpot's "Became a ... Date" column for a lifecycle label ("an" before vowels).

    Parameters
    ----------
    label : str
        Lifecycle stage label, e.g. ``Marketing Qualified Lead``.

    Returns
    -------
    str
        E.g. ``Became a Marketing Qualified Lead Date``.
    """
    article = "an" if label[:1].lower() in "aeiou" else "a"
    return f"Became {article} {label} Date"


def load_hubspot(
    path: str | Path,
    *,
    stage_names: Sequence[str] = DEFAULT_STAGE_NAMES,
    stage_mapping: Mapping[str, str | None] | None = None,
    columns: Mapping[str, str] | None = None,
    channel_mapping: Mapping[str, str] | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    options: ReadOptions | None = None,
    outcome_mapping: Mapping[str, str] | None = None,
    raw: pd.DataFrame | None = None,
) -> IngestResult:
    """Load a HubSpot contacts export into the normalised table.

    Parameters
    ----------
    path : str or Path
        The CSV (or Parquet) export.
    stage_names : sequence of str
        The company's stages, top to bottom (``p.stage_names``).
    stage_mapping : mapping, optional
        Lifecycle label -> canonical stage (None: outside the funnel), merged over
        :data:`alignlib.taxonomy.HUBSPOT_STAGE_MAPPING`. Each label's date comes from
        HubSpot's ``Became a <label> Date`` column when it exists.
    columns : mapping, optional
        Canonical field -> source column, overriding the defaults (e.g.
        ``{"entered_sal": "Sales Accepted Date", "first_response": "First Outreach Date"}``).
    channel_mapping : mapping, optional
        ``Original Source`` value -> channel (default :data:`HUBSPOT_SOURCE_CHANNELS`).
    as_of : date, optional
        When the export was taken (default: ``options.as_of``, else the latest date in it).
    options : ReadOptions, optional
        Encoding, delimiter, decimal mark, date format, largest amount (default: detected).
    outcome_mapping : mapping, optional
        Outcome label -> won, lost or open, for an ``outcome`` column named in
        ``columns`` (e.g. a deal stage property); its known labels override the
        outcome read from the stage dates.
    raw : pandas.DataFrame, optional
        The rows already read as text columns with the export's names (a SQL source,
        :mod:`alignlib.crm.sql`); ``path`` then only names them in messages.

    Returns
    -------
    IngestResult

    Raises
    ------
    DataError
        The file cannot be read, or required columns (``Record ID`` or ``Contact ID``,
        ``Create Date``, ``Lifecycle Stage``) are missing.
    """
    path = Path(path)
    options = options or ReadOptions()
    options = options.with_as_of(as_of)
    as_of = options.as_of
    raw = read_raw(path, options) if raw is None else raw
    mapping = {**HUBSPOT_STAGE_MAPPING, **(stage_mapping or {})}
    check_stages(stage_names)
    overrides = dict(columns or {})
    req = require(
        path,
        raw,
        {
            "id": (overrides.get("id", "Record ID"), "Contact ID"),
            "created": (overrides.get("created", "Create Date"),),
            "stage": (overrides.get("stage", "Lifecycle Stage"),),
        },
    )
    probs = Problems(path.name, 2)
    ids = text(raw, req["id"])

    # Stage date columns: "Became a <label> Date" per mapped label, plus overrides.
    date_sources: dict[str, str] = {}
    for label, stage in mapping.items():
        col = hubspot_date_column(label)
        if (
            stage is not None
            and stage in stage_names
            and col in raw.columns
            and stage not in date_sources
        ):
            date_sources[stage] = col
    for key, names in HUBSPOT_EXTRA_COLUMNS.items():
        if key.startswith("entered_") and key[8:] in stage_names and key[8:] not in date_sources:
            extra = first_present(raw, names)
            if extra:
                date_sources[key[8:]] = extra
    for key, col in overrides.items():
        if key.startswith("entered_") and key[8:] in stage_names:
            if col not in raw.columns:
                raise DataError(path, f"column {col!r} (mapped to {key}) is not in the file")
            date_sources[key[8:]] = col
    if not date_sources:
        raise DataError(
            path,
            "no stage date columns found (expected e.g. 'Became a Lead Date', "
            "'Became a Marketing Qualified Lead Date')",
        )

    def col_for(key: str) -> str | None:
        if key in overrides:
            if overrides[key] not in raw.columns:
                raise DataError(
                    path, f"column {overrides[key]!r} (mapped to {key}) is not in the file"
                )
            return overrides[key]
        return first_present(raw, HUBSPOT_EXTRA_COLUMNS.get(key, ()))

    first_response_col = col_for("first_response")
    lost_date_col = col_for("lost_date")
    close_col = col_for("close_date")
    dates_of = Dates(
        raw,
        probs,
        [
            req["created"],
            *[date_sources.get(s) for s in stage_names],
            first_response_col,
            lost_date_col,
            close_col,
        ],
        ids,
        options,
    )
    created = dates_of(req["created"])
    entered = frame_of({s: dates_of(date_sources.get(s)) for s in stage_names})
    first_response = dates_of(first_response_col)
    lost_date = dates_of(lost_date_col)
    close_won = dates_of(close_col)

    labels = text(raw, req["stage"])
    stage, position, unknown = stage_index(labels, mapping, stage_names)
    unknown_labels = UnknownLabels()
    unknown_labels.report(
        probs, unknown, labels, req["stage"], "lifecycle stage label", "stage_mapping", stage_names
    )
    outcome_col = col_for("outcome")
    bad_outcome = np.zeros(len(raw), dtype=bool)
    mapped_outcome = None
    if outcome_col is not None:  # rare: a contacts export with an outcome label column
        outcome_labels = text(raw, outcome_col)
        mapped_outcome, bad_outcome = outcome_index(outcome_labels, outcome_mapping)
        unknown_labels.report(
            probs, bad_outcome, outcome_labels, outcome_col, "outcome", "outcome_mapping"
        )
    amount, bad_amount = amount_column(raw, col_for("amount"), probs, options)

    drop, n_exact = duplicates(raw, ids, probs, req["id"], dates_of.repeated_ids)
    blank_id = (ids == "").to_numpy()
    probs.add(np.flatnonzero(blank_id), req["id"], "missing id", ids[blank_id])

    order_cols = pd.concat([created.rename("created"), entered], axis=1)
    order_src = [req["created"], *[date_sources.get(s, f"entered_{s}") for s in stage_names]]
    out_of_order = order_problems(order_cols, order_src, probs, ~drop, raw)
    drop |= dates_of.bad | unknown | bad_outcome | bad_amount | blank_id | out_of_order

    reached = reached_stages(entered, position, len(stage_names))
    last = len(stage_names) - 1
    won = reached[:, last]
    lost_reason = text(raw, col_for("lost_reason"))
    lost = ~won & (lost_date.notna().to_numpy() | (lost_reason != "").to_numpy())
    is_open = ~won & ~lost & reached[:, opportunity_index(stage_names)]
    if mapped_outcome is not None:  # a mapped outcome label says it outright
        said = mapped_outcome.fillna("").to_numpy(dtype=object)
        won = won | (said == "won")
        lost = np.where(said != "", said == "lost", lost) & ~won
        is_open = np.where(said != "", said == "open", is_open) & ~won & ~lost
    outcome = outcomes(won, lost, is_open)
    outcome.index = raw.index
    close_date = close_won.where(won, lost_date.where(lost))
    close_date = close_date.fillna(entered.iloc[:, last].where(won))
    status = text(raw, col_for("lead_status"))
    source = text(raw, col_for("source"))
    table = assemble(
        ids=ids,
        created=created,
        source=source,
        channel=channels(source, channel_mapping or HUBSPOT_SOURCE_CHANNELS),
        owner=text(raw, col_for("owner")),
        lead_status=status,
        stage=stage,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
        amount=amount,
        first_response=first_response,
        deal_name=text(raw, col_for("deal_name")),
        offset=2,
        stage_names=stage_names,
        outside=outside_funnel(labels, position, unknown),
    )
    result = finish(
        path=path,
        fmt="hubspot",
        raw=raw,
        table=table,
        probs=probs,
        drop=drop,
        duplicates=n_exact,
        stage_names=stage_names,
        as_of=as_of,
    )
    return unknown_labels.explain(result)
