"""HubSpot contacts exports: lifecycle stages with their "Became a ... Date" columns."""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import numpy as np

from alignlib.crm.labels import (
    check_stages,
    opportunity_index,
    outcomes,
    reached_stages,
)
from alignlib.crm.pipeline import ColumnSpec, LoadArgs, open_source
from alignlib.crm.table import IngestResult, frame_of
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


#: A HubSpot contacts export's columns (its stage dates are found by label:
#: :func:`hubspot_date_column`).
HUBSPOT_SPEC = ColumnSpec(
    format="hubspot",
    fields={
        "id": ("Record ID", "Contact ID"),
        "created": ("Create Date",),
        "stage": ("Lifecycle Stage",),
        **HUBSPOT_EXTRA_COLUMNS,
    },
    required=("id", "created", "stage"),
    channels=HUBSPOT_SOURCE_CHANNELS,
)


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


def load_hubspot(path: str | Path, **kw: Unpack[LoadArgs]) -> IngestResult:
    """Load a HubSpot contacts export into the normalised table.

    ``stage_mapping`` (lifecycle label -> stage) is merged over
    :data:`alignlib.taxonomy.HUBSPOT_STAGE_MAPPING`; each label's date comes from
    HubSpot's ``Became a <label> Date`` column when it exists. ``columns`` overrides
    the default columns (e.g. ``{"entered_sal": "Sales Accepted Date"}``); an
    ``outcome`` column named there (a deal stage property) says the outcome outright
    through ``outcome_mapping``. Channels: :data:`HUBSPOT_SOURCE_CHANNELS`.

    Parameters
    ----------
    path : str or Path
        The CSV (or Parquet) export.
    **kw : LoadArgs
        As for every loader (:class:`~alignlib.crm.pipeline.LoadArgs`); default stages:
        the taxonomy's six.

    Returns
    -------
    IngestResult
        One row per contact.

    Raises
    ------
    DataError
        The file cannot be read, or required columns (``Record ID`` or ``Contact ID``,
        ``Create Date``, ``Lifecycle Stage``) are missing.
    """
    stage_names = kw.get("stage_names", DEFAULT_STAGE_NAMES)
    src = open_source(HUBSPOT_SPEC, path, **kw)
    raw, cols = src.raw, src.cols
    mapping = {**HUBSPOT_STAGE_MAPPING, **(kw.get("stage_mapping") or {})}
    check_stages(stage_names)

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
    for s in stage_names:
        own = cols.get(f"entered_{s}")
        if own is not None and (s not in date_sources or f"entered_{s}" in src.overrides):
            date_sources[s] = own
    if not date_sources:
        raise DataError(
            src.path,
            "no stage date columns found (expected e.g. 'Became a Lead Date', "
            "'Became a Marketing Qualified Lead Date')",
        )
    dates_of = src.read_dates(
        [
            cols["created"],
            *[date_sources.get(s) for s in stage_names],
            cols["first_response"],
            cols["lost_date"],
            cols["close_date"],
        ]
    )
    created = src.created()
    entered = frame_of({s: dates_of(date_sources.get(s)) for s in stage_names})
    labels = src.text("stage")
    _, position, _ = src.stages(
        labels, mapping, stage_names, str(cols["stage"]), "lifecycle stage label"
    )
    said = None
    if cols.get("outcome") is not None:  # rare: a contacts export with an outcome label column
        said = src.outcomes(src.text("outcome"), kw.get("outcome_mapping"), str(cols["outcome"]))
    src.amount()
    src.check_ids()
    order_src = [date_sources.get(s, f"entered_{s}") for s in stage_names]
    entered, _ = src.in_order(entered, order_src, after_created=created)
    lost_date = dates_of(cols["lost_date"])
    close_won = dates_of(cols["close_date"])

    reached = reached_stages(entered, position, len(stage_names))
    last = len(stage_names) - 1
    won = reached[:, last]
    lost = ~won & (lost_date.notna().to_numpy() | (src.text("lost_reason") != "").to_numpy())
    is_open = ~won & ~lost & reached[:, opportunity_index(stage_names)]
    if said is not None:  # a mapped outcome label says it outright
        won = won | (said == "won")
        lost = np.where(said != "", said == "lost", lost) & ~won
        is_open = np.where(said != "", said == "open", is_open) & ~won & ~lost
    outcome = outcomes(won, lost, is_open)
    outcome.index = raw.index
    close_date = close_won.where(won, lost_date.where(lost))
    close_date = close_date.fillna(entered.iloc[:, last].where(won))
    return src.finish(
        stage_names=stage_names,
        entered=entered,
        reached=reached,
        outcome=outcome,
        close_date=close_date,
    )
