"""A draft ``actuals:`` block for an export nobody has mapped yet (``alignlib ingest FILE --suggest``).

Reads the file's header and label columns (stage, status, outcome): it recognises
the format (HubSpot contacts or deals, Salesforce API or report export, else a generic
CSV), finds each date column's order, and proposes a mapping for every distinct stage
and outcome label. For a generic CSV the columns are guessed from the header names,
then from a sample of the values (:mod:`alignlib.crm.suggest_values`: unique ids,
date-like columns and the earliest per row, 0/1 and won/lost outcomes, money, owners,
sources), each such guess marked ``# check``. Names, emails and other contact values
are never written into the draft (only column names, labels and counts).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from alignlib.crm.generic import GENERIC_FIELDS
from alignlib.crm.hubspot import HUBSPOT_EXTRA_COLUMNS, hubspot_date_column
from alignlib.crm.hubspot_deals import (
    HUBSPOT_DEAL_COLUMNS,
    HUBSPOT_OPEN_DEAL_STAGES,
    date_entered_columns,
)
from alignlib.crm.labels import (
    DEFAULT_OUTCOME_MAPPING,
    guess_outcome,
    normalise_label,
    normalised,
)
from alignlib.crm.read import ReadOptions, first_present, read_raw, text
from alignlib.crm.salesforce import (
    SALESFORCE_LEAD_COLUMNS,
    SALESFORCE_OPPORTUNITY_COLUMNS,
    SALESFORCE_STAGE_MAPPING,
    is_opportunities_export,
    stage_outcomes,
)
from alignlib.crm.suggest_deals import DealsDraft, find_deals, leads_beside
from alignlib.crm.suggest_values import guess_from_values
from alignlib.taxonomy import DEFAULT_STAGE_NAMES, DEFAULT_STAGES, HUBSPOT_STAGE_MAPPING

#: Labels listed per column at most (a column with more is probably not a label column).
MAX_LABELS = 60
#: Longest label shown (longer values are withheld: free text, not a label).
MAX_LABEL_LENGTH = 60
#: Said of a date column whose order the reading layer cannot tell us here.
DATES_WHEN_LOADED = "dates: detected when loaded"

#: Header words -> canonical field, for a generic CSV (headers compared normalised).
_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "lead id", "contact id", "record id", "person id", "customer id", "user id"),
    "created": (
        "created",
        "created at",
        "created date",
        "create date",
        "createddate",
        "date created",
        "created on",
        "signup date",
        "sign up date",
    ),
    "stage": ("stage", "funnel stage", "lifecycle stage", "current stage", "lead stage"),
    "source": ("source", "lead source", "utm source", "original source", "leadsource"),
    "channel": ("channel", "marketing channel"),
    "owner": ("owner", "rep", "sales rep", "owner name", "assigned to", "account owner"),
    "lead_status": ("lead status", "status"),
    "outcome": ("outcome", "result", "deal outcome", "won lost", "deal result"),
    "close_date": ("close date", "closed at", "closed date", "closedate", "date closed"),
    "amount": ("amount", "deal value", "deal amount", "value", "revenue", "deal size"),
    "first_response": ("first response", "first response at", "first contacted", "responded at"),
}
#: Formats and how each is described in the draft.
FORMAT_NAMES = {
    "hubspot": "HubSpot contacts export",
    "hubspot_deals": "HubSpot deals export",
    "salesforce": "Salesforce export",
    "csv": "generic CSV (columns guessed from the header names)",
}


@dataclass(frozen=True)
class LabelProposal:
    """One distinct label and what the draft maps it to.

    Attributes
    ----------
    label : str
        The label as written (first spelling seen).
    rows : int
        Rows that carry it.
    proposed : str or None
        Stage (or outcome) proposed; None: outside the funnel.
    known : bool
        The loader knows it already (no ``# check``).
    """

    label: str
    rows: int
    proposed: str | None
    known: bool


@dataclass(frozen=True)
class Suggestion:
    """What :func:`suggest_actuals` found: format, columns, date orders and labels.

    Attributes
    ----------
    path : str
        The export, as given.
    format : str
        ``hubspot``, ``hubspot_deals``, ``salesforce`` or ``csv``.
    description : str
        The format in words (e.g. ``Salesforce report export (field labels)``).
    columns : dict
        Canonical field -> column found (for ``csv``, the mapping to write).
    date_orders : dict
        Date column -> how its dates are written (``ISO``, ``MDY``, ``DMY``, ``YMD``,
        ``ambiguous``, ``unreadable``, ``empty``) or :data:`DATES_WHEN_LOADED`.
    stage_labels, outcome_labels : tuple of LabelProposal
        Every distinct label of the stage and outcome columns.
    stage_names : tuple of str
        The funnel the proposals are for.
    notes : tuple of str
        Anything else to say (as comments).
    reasons : dict
        Field -> why it was guessed from the values (printed ``# check: <why>``).
    deals : DealsDraft or None
        A deals file found beside the export, to join on the leads' id
        (:func:`~alignlib.crm.suggest_deals.find_deals`).
    """

    path: str
    format: str
    description: str
    columns: dict[str, str]
    date_orders: dict[str, str]
    stage_labels: tuple[LabelProposal, ...]
    outcome_labels: tuple[LabelProposal, ...]
    stage_names: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    reasons: dict[str, str] = field(default_factory=dict)
    deals: DealsDraft | None = None

    def to_yaml(self) -> str:
        """The draft ``actuals:`` block, valid YAML, with ``# check`` beside every guess.

        Returns
        -------
        str
            Comment lines, then ``actuals:`` and its keys.
        """
        q = _quote
        lines = [
            f"# Draft for {Path(self.path).name}: recognised as {self.description}.",
            f"# Stages assumed: {', '.join(self.stage_names)} (your params file's stages:).",
            '# Check every line marked "# check", then paste under your params file.',
        ]
        lines += [f"# {n}" for n in self.notes]
        lines += [
            "actuals:",
            f"  crm_export: {q(self.path)}  # relative paths are read from the params file's folder",
            f"  format: {self.format}",
        ]
        if self.columns:
            word = "columns" if self.format == "csv" else "# columns found (no mapping needed)"
            if self.format == "csv":
                lines.append("  columns:")
                for k, v in self.columns.items():
                    why = self.reasons.get(k)
                    lines.append(f"    {k}: {q(v)}" + (f"  # check: {why}" if why else ""))
            else:
                lines.append(f"  {word}:")
                lines += [f"  #   {k}: {q(v)}" for k, v in self.columns.items()]
        if self.date_orders:
            lines.append("  # dates, per column:")
            for col, order in self.date_orders.items():
                lines.append(f"  #   {q(col)}: {_order_words(order)}")
            fix = _date_format(self.date_orders)
            if fix:
                lines.append(f"  date_format: {fix}  # check: {_date_format_reason(fix)}")
        lines += _mapping_block("stage_mapping", self.stage_labels, self.stage_names)
        lines += _mapping_block("outcome_mapping", self.outcome_labels, self.stage_names)
        if self.deals is not None:
            lines += self.deals.yaml_lines(q)
        return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    """A YAML scalar for any text (a JSON string is valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _order_words(order: str) -> str:
    return {
        "ISO": "ISO (year-month-day)",
        "YMD": "year-month-day",
        "MDY": "month/day/year",
        "DMY": "day/month/year",
        "ambiguous": "ambiguous (no day above 12): set date_format",
        "unreadable": "mostly unreadable: check the column or set date_format",
        "empty": "empty",
    }.get(order, order)


def _date_format(orders: Mapping[str, str]) -> str | None:
    """``date_format`` to propose: only when some column is ambiguous (detection decides the rest)."""
    if "ambiguous" not in orders.values():
        return None
    found = {o for o in orders.values() if o in ("MDY", "DMY")}
    return found.pop() if len(found) == 1 else "MDY"


def _date_format_reason(fix: str) -> str:
    return (
        f"some date column has no day above 12; {fix} is a guess "
        "(MDY month/day/year, DMY day/month/year)"
    )


def _mapping_block(
    key: str, labels: Sequence[LabelProposal], stage_names: Sequence[str]
) -> list[str]:
    if not labels:
        return []
    out = [f"  {key}:"]
    for p in labels:
        value = "null" if p.proposed is None else p.proposed
        rows = f"{p.rows:,} row{'s' if p.rows != 1 else ''}"
        if p.known:
            out.append(f"    {_quote(p.label)}: {value}  # {rows}")
        elif key == "outcome_mapping":
            out.append(f"    {_quote(p.label)}: {value}  # check: won, lost or open ({rows})")
        else:
            out.append(
                f"    {_quote(p.label)}: {value}  # check: one of {', '.join(stage_names)}, "
                f"or null outside the funnel ({rows})"
            )
    return out


def _header_key(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(name).casefold()).split())


def guess_columns(columns: Sequence[str], stage_names: Sequence[str]) -> dict[str, str]:
    """Canonical field -> column, guessed from header names (a generic CSV's mapping).

    Parameters
    ----------
    columns : sequence of str
        The file's header.
    stage_names : sequence of str
        The company's stages (for ``entered_<stage>`` columns such as ``mql_at``,
        ``MQL date``, ``Became a Marketing Qualified Lead Date``).

    Returns
    -------
    dict
        Field -> column; each column used once, fields in :data:`GENERIC_FIELDS` order.
    """
    keys = {_header_key(c): c for c in columns}
    used: set[str] = set()
    out: dict[str, str] = {}
    for fld in GENERIC_FIELDS:
        for name in _FIELD_NAMES.get(fld, ()):
            col = keys.get(name)
            if col is not None and col not in used:
                out[fld] = col
                used.add(col)
                break
    labels = {st.name: st.label for st in DEFAULT_STAGES}
    for s in stage_names:
        names = {s, s.replace("_", " "), normalise_label(labels.get(s, s))}
        candidates = [
            f"{n} {suffix}" for n in names for suffix in ("at", "date", "entered", "on", "time")
        ]
        candidates += [f"entered {n}" for n in names] + [f"date entered {n}" for n in names]
        candidates += [_header_key(hubspot_date_column(labels.get(s, s)))]
        for name in candidates:
            col = keys.get(_header_key(name))
            if col is not None and col not in used:
                out[f"entered_{s}"] = col
                used.add(col)
                break
    return out


def _detect_format(columns: Sequence[str]) -> tuple[str, str]:
    """(format, description) from the header alone."""
    cols = set(columns)
    if "Deal Stage" in cols or date_entered_columns(list(columns)):
        return "hubspot_deals", FORMAT_NAMES["hubspot_deals"]
    if "Lifecycle Stage" in cols and ({"Record ID", "Contact ID"} & cols):
        return "hubspot", FORMAT_NAMES["hubspot"]
    api_lead = {"Id", "Status", "CreatedDate"} <= cols
    report_lead = {"Lead ID", "Lead Status"} <= cols
    if api_lead or report_lead:
        style = "API names" if api_lead else "report export, field labels"
        return "salesforce", f"Salesforce leads export ({style})"
    if is_opportunities_export(list(columns)) and (
        {"Opportunity ID", "Id"} & cols and {"Close Date", "CloseDate"} & cols
    ):
        style = "API names" if "StageName" in cols else "report export, field labels"
        return "salesforce", f"Salesforce opportunities export on its own ({style})"
    return "csv", FORMAT_NAMES["csv"]


def _found(raw: pd.DataFrame, fields: Mapping[str, Sequence[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, names in fields.items():
        col = first_present(raw, names)
        if col is not None:
            out[k] = col
    return out


def _distinct(raw: pd.DataFrame, col: str | None) -> list[tuple[str, int]]:
    """(label, rows) per distinct label of a label column, spellings merged, most rows first."""
    if col is None or col not in raw.columns:
        return []
    counts = text(raw, col).value_counts(sort=False)
    merged: dict[str, list] = {}
    for label, n in counts.items():
        label = str(label)
        if label == "":
            continue
        key = normalise_label(label)
        if key in merged:
            merged[key][1] += int(n)
        else:
            merged[key] = [label, int(n)]
    return sorted(((v[0], v[1]) for v in merged.values()), key=lambda t: (-t[1], t[0]))


def _guess_stage(label: str, stage_names: Sequence[str]) -> str | None:
    """The stage a label most likely means (None: outside the funnel, or no idea)."""
    key = normalise_label(label)
    outcome = guess_outcome(label)
    if outcome == "won":
        return stage_names[-1]
    if outcome == "lost":
        return None
    labels = {st.name: normalise_label(st.label) for st in DEFAULT_STAGES}
    names = {normalise_label(s.replace("_", " ")): s for s in stage_names}
    names.update({labels[s]: s for s in stage_names if s in labels})
    if key in names:
        return names[key]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if close:
        return names[close[0]]
    for name, s in names.items():
        if re.search(rf"\b{re.escape(name)}\b", key):
            return s
    return None


def _stage_proposals(
    labels: Sequence[tuple[str, int]],
    known: Mapping[str, str | None],
    stage_names: Sequence[str],
) -> tuple[LabelProposal, ...]:
    norm = normalised(known)
    out = []
    for label, n in labels[:MAX_LABELS]:
        key = normalise_label(label)
        target = norm.get(key)
        is_known = key in norm and (target is None or target in stage_names)
        proposed = target if is_known else _guess_stage(label, stage_names)
        out.append(LabelProposal(label, n, proposed, is_known))
    return tuple(out)


def _outcome_proposals(
    labels: Sequence[tuple[str, int]],
    known: Mapping[str, str],
    guesses: Mapping[str, str] | None = None,
) -> tuple[LabelProposal, ...]:
    norm = normalised(known)
    guessed = normalised(guesses or {})
    out = []
    for label, n in labels[:MAX_LABELS]:
        key = normalise_label(label)
        is_known = key in norm and key not in guessed
        proposed = norm[key] if is_known else guessed.get(key, guess_outcome(label))
        out.append(LabelProposal(label, n, proposed, is_known))
    return tuple(out)


def _date_orders(raw: pd.DataFrame, columns: Sequence[str], options: ReadOptions) -> dict[str, str]:
    """Each date column's order, from the reading layer's detection when it has one."""
    cols = list(dict.fromkeys(c for c in columns if c in raw.columns))
    try:
        from alignlib.crm.dates import parse_column
    except ImportError:  # pragma: no cover - an older reading layer
        return {c: DATES_WHEN_LOADED for c in cols}
    out: dict[str, str] = {}
    for c in cols:
        order = getattr(parse_column(raw[c], options.date_format), "order", None)
        out[c] = (order or "empty") if isinstance(order, str) else DATES_WHEN_LOADED
    return out


def _short_labels(labels: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
    """Labels short enough to be labels, and how many values were withheld."""
    kept = [(lab, n) for lab, n in labels if len(lab) <= MAX_LABEL_LENGTH]
    return kept, len(labels) - len(kept)


def suggest_actuals(
    path: str | Path,
    *,
    stage_names: Sequence[str] | None = None,
    options: ReadOptions | None = None,
) -> Suggestion:
    """Read an export's header, label columns and (generic CSV) a sample of values; draft ``actuals:``.

    Parameters
    ----------
    path : str or Path
        The export.
    stage_names : sequence of str, optional
        The company's stages (default: the six default stages; for deals and
        opportunities exports, opportunity -> won).
    options : ReadOptions, optional
        How to read the file (default: detected).

    Returns
    -------
    Suggestion
        Print :meth:`Suggestion.to_yaml`.

    Raises
    ------
    DataError
        The file cannot be read.
    """
    options = options or ReadOptions()
    raw = read_raw(path, options)
    columns = [str(c) for c in raw.columns]
    fmt, description = _detect_format(columns)
    notes: list[str] = []
    deal_funnel = fmt == "hubspot_deals" or "opportunities export on its own" in description
    if stage_names is None:
        stage_names = ("opportunity", "won") if deal_funnel else DEFAULT_STAGE_NAMES
        notes.append(
            "No params file given: stages assumed. Rerun with --params to map to your own."
        )
    stages = tuple(stage_names)
    stage_col: str | None = None
    outcome_col: str | None = None
    stage_known: dict[str, str | None] = {}
    outcome_known: dict[str, str] = dict(DEFAULT_OUTCOME_MAPPING)
    date_cols: list[str] = []
    found: dict[str, str]
    reasons: dict[str, str] = {}
    outcome_guesses: dict[str, str] = {}
    if fmt == "hubspot":
        found = _found(raw, {"id": ("Record ID", "Contact ID"), "created": ("Create Date",)})
        found.update(_found(raw, {"stage": ("Lifecycle Stage",)}))
        found.update(_found(raw, {k: v for k, v in HUBSPOT_EXTRA_COLUMNS.items()}))
        became = [c for c in columns if re.fullmatch(r"Became an? .+ Date", c)]
        date_cols = [found.get("created", ""), *became]
        date_cols += [found[k] for k in ("first_response", "lost_date", "close_date") if k in found]
        stage_col = found.get("stage")
        stage_known = dict(HUBSPOT_STAGE_MAPPING)
        stage_known.update({s: s for s in stages})
    elif fmt == "hubspot_deals":
        found = _found(raw, HUBSPOT_DEAL_COLUMNS)
        entered = list(date_entered_columns(columns))
        date_cols = [found.get("created", ""), found.get("close_date", ""), *entered]
        stage_col = found.get("stage")
        # HubSpot's default open stages need no mapping in an opportunity -> won
        # funnel; in a longer one each is a stage to place (# check).
        stage_known = {s: None for s in HUBSPOT_OPEN_DEAL_STAGES} if len(stages) <= 2 else {}
        stage_known.update({"Closed Won": stages[-1], "Closed Lost": None})
        stage_known.update({s: s for s in stages})
        outcome_col = stage_col
        outcome_known.update({normalise_label(s): "open" for s in HUBSPOT_OPEN_DEAL_STAGES})
    elif fmt == "salesforce" and "opportunities" in description:
        found = _found(raw, SALESFORCE_OPPORTUNITY_COLUMNS)
        date_cols = [found.get("created", ""), found.get("close", "")]
        if "is_won" not in found or "is_closed" not in found:
            outcome_col = found.get("stage")
            outcome_known = stage_outcomes()
        if len(stages) > 2:
            stage_col = found.get("stage")
            stage_known = {k: v for k, v in SALESFORCE_STAGE_MAPPING.items() if v in stages}
            stage_known.update({s: s for s in stages})
    elif fmt == "salesforce":
        found = _found(raw, SALESFORCE_LEAD_COLUMNS)
        date_cols = [found.get("created", ""), found.get("converted_date", "")]
        stage_col = found.get("status")
        stage_known = dict(SALESFORCE_STAGE_MAPPING)
        notes.append("Opportunities: add  opportunities: <the opportunities export>  to join them.")
    else:
        found = guess_columns(columns, stages)
        values = guess_from_values(raw, found, date_format=options.date_format)
        found = {**found, **values.columns}
        reasons = values.reasons
        outcome_guesses = values.outcome_flags
        notes += values.notes
        first = f"entered_{stages[0]}"
        if first not in found and "created" in found:
            # a record is in the first stage from its creation
            found = {**found, first: found["created"]}
        order = [*GENERIC_FIELDS, *(f"entered_{s}" for s in stages)]
        found = dict(sorted(found.items(), key=lambda kv: order.index(kv[0])))
        date_cols = [
            found[k]
            for k in found
            if k in ("created", "close_date", "first_response") or k.startswith("entered_")
        ]
        stage_col = found.get("stage")
        outcome_col = found.get("outcome")
        if "id" in found and (note := leads_beside(path, raw, found["id"], options)):
            notes.append(note)
        stage_known = {s: s for s in stages}
        stage_known.update({st.label: st.name for st in DEFAULT_STAGES if st.name in stages})
        if "id" not in found or "created" not in found:
            missing = [k for k in ("id", "created") if k not in found]
            notes.append(
                f"No column found for {', '.join(missing)}: add it under columns: "
                f"(header: {', '.join(columns[:30])})"
            )
    stage_labels, withheld_s = _short_labels(_distinct(raw, stage_col))
    outcome_labels, withheld_o = _short_labels(_distinct(raw, outcome_col))
    for col, labels, withheld in (
        (stage_col, stage_labels, withheld_s),
        (outcome_col, outcome_labels, withheld_o),
    ):
        more = len(labels) - MAX_LABELS
        if more > 0 or withheld:
            notes.append(
                f"Column {col!r}: {max(more, 0) + withheld:,} more distinct values not listed "
                "(too many or too long to be labels)."
            )
    if outcome_col is not None and outcome_col == stage_col and fmt == "hubspot_deals":
        # A deal stage's outcome: won at the last stage, lost/open from the stage list.
        outcome_labels = [
            (lab, n)
            for lab, n in outcome_labels
            if normalise_label(lab) not in normalised(stage_known)
            or normalised(stage_known)[normalise_label(lab)] is None
        ]
    return Suggestion(
        path=str(path),
        format=fmt,
        description=description,
        columns=found,
        date_orders=_date_orders(raw, [c for c in date_cols if c], options),
        stage_labels=_stage_proposals(stage_labels, stage_known, stages) if stage_col else (),
        outcome_labels=(
            _outcome_proposals(outcome_labels, outcome_known, outcome_guesses)
            if outcome_col
            else ()
        ),
        stage_names=stages,
        notes=tuple(notes),
        reasons=reasons,
        deals=(
            find_deals(path, raw, found["id"], stages, options)
            if fmt == "csv" and "id" in found
            else None
        ),
    )
