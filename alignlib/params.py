"""Quarter parameters: the YAML schema, loading and validation, in one place.

A parameters file is the workbook's main interface: one per quarter (and per
segment or region), validated once at load time. Every problem is reported
with the file, the key path, the line and what is wrong (:class:`ParamsError`);
nothing downstream re-checks what is validated here.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from alignlib.errors import ParamsError, Problem
from alignlib.taxonomy import DEFAULT_STAGES, Stage

#: How far shares (channel mix, monthly phasing, experiment split) may miss 1, everywhere.
SHARE_TOLERANCE = 1e-6
#: Problems listed one by one before the rest are counted in one line.
MAX_LISTED_PROBLEMS = 50

# C0 and C1 control characters (tab, newline and carriage return are allowed in texts).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def shares_sum_to_one(shares: Iterable[float]) -> str | None:
    """Check that shares are a split of a whole: none negative, summing to 1.

    Parameters
    ----------
    shares : iterable of float
        Channel shares, monthly phasing or an experiment's expected split.

    Returns
    -------
    str or None
        What is wrong, or None when they are a valid split (within :data:`SHARE_TOLERANCE`).
    """
    values = [float(x) for x in shares]
    if any(x < 0 for x in values):
        return "shares must not be negative"
    total = math.fsum(values)
    # Rounded first, so a sum exactly at the tolerance (0.999999) passes however it was added.
    if round(abs(total - 1.0), 12) > SHARE_TOLERANCE:
        return f"shares must sum to 1 (they sum to {total:.10g})"
    return None


class _Model(BaseModel):
    # allow_inf_nan=False: .inf or .nan in a params file is an error at load, naming the key.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


def _rate_from_scalar(value: Any) -> Any:
    # A bare number is a rate; a mapping is {rate: x} or {converted: c, total: t}.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"rate": value}
    return value


class RateSpec(_Model):
    """A stage's conversion rate into the next stage: a rate, or historical counts.

    Counts are read as evidence: the reverse funnel plans on ``converted / total``
    and the simulation draws from Beta(1 + converted, 1 + total - converted).
    """

    fixed_rate: float | None = Field(None, alias="rate", gt=0, le=1)
    converted: int | None = Field(None, ge=0)
    total: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_form(self) -> RateSpec:
        has_counts = self.converted is not None or self.total is not None
        if self.fixed_rate is not None and has_counts:
            raise ValueError("give either rate or converted/total, not both")
        if self.fixed_rate is None:
            if self.converted is None or self.total is None:
                raise ValueError("give a rate (e.g. 0.3) or both converted and total")
            if self.converted > self.total:
                raise ValueError(f"converted ({self.converted}) is more than total ({self.total})")
            if self.converted == 0:
                raise ValueError(f"0 of {self.total} converted: a zero rate cannot be planned on")
        return self

    @property
    def rate(self) -> float:
        """Point estimate used by the reverse funnel."""
        if self.fixed_rate is not None:
            return self.fixed_rate
        assert self.converted is not None and self.total is not None
        return self.converted / self.total

    @property
    def counts(self) -> tuple[int, int] | None:
        """``(converted, total)`` when the rate was given as counts, else None."""
        if self.converted is None or self.total is None:
            return None
        return (self.converted, self.total)

    @property
    def simulation_input(self) -> float | tuple[int, int]:
        """What :func:`alignlib.simulation.simulate_funnel` takes for this rate."""
        return self.counts if self.counts is not None else self.rate


RateInput = Annotated[RateSpec, BeforeValidator(_rate_from_scalar)]


class Lag(_Model):
    """Days from entering a stage to entering the next: a typical value and its spread."""

    typical: float = Field(ge=0)
    spread: float = Field(0.0, ge=0)


class DealSize(_Model):
    """Average deal size (bookings per won deal) and its spread (standard deviation)."""

    mean: float = Field(gt=0)
    spread: float = Field(0.0, ge=0)


class Target(_Model):
    """The bookings target, how it is phased across the quarter's months, and growth.

    ``growth`` is the expected year-over-year growth of volume (0.2 = +20%) that monthly
    targets follow; None learns it from the actuals where they span a year.
    """

    bookings: float = Field(gt=0)
    monthly_phasing: tuple[float, float, float] | None = None
    growth: float | None = Field(None, gt=-1, le=10)

    @field_validator("monthly_phasing")
    @classmethod
    def _phasing_sums_to_one(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and (problem := shares_sum_to_one(value)):
            raise ValueError(problem)
        return value


class Channel(_Model):
    """A lead source: its share of leads, its cost per lead and, optionally, its own funnel.

    ``conversion_rates`` (any subset of the stages) and ``deal_size`` override the
    blended funnel for this channel's leads; ``max_leads_per_month`` and ``min_share``
    bound the mix optimiser.
    """

    label: str | None = None
    cost_per_lead: float | None = Field(None, ge=0)
    share: float = Field(ge=0, le=1)
    conversion_rates: dict[str, RateInput] = Field(default_factory=dict)
    deal_size: DealSize | None = None
    max_leads_per_month: float | None = Field(None, gt=0)
    min_share: float = Field(0.0, ge=0, le=1)


class Pipeline(_Model):
    """Pipeline coverage: pipeline value at ``stage`` as a multiple of the target.

    ``stage`` defaults to ``opportunity`` when the funnel has it, else the stage before the
    last.
    """

    coverage_target: float = Field(3.0, gt=0)
    stage: str = "opportunity"


class Capacity(_Model):
    """Sales capacity for the planned volume.

    ``handoff_stage`` (where sales takes over and the response SLA starts) defaults to
    ``mql`` when the funnel has it, else its second stage.
    """

    reps: int = Field(gt=0)
    opportunities_per_rep_per_month: float = Field(gt=0)
    handoff_stage: str = "mql"
    responses_per_rep_per_day: float = Field(gt=0)
    working_days_per_month: float = Field(21, gt=0, le=31)
    #: Working hours in a day: hand-offs arriving in them wait for a free rep (Erlang C).
    working_hours_per_day: float = Field(8, gt=0, le=24)
    #: Reps answering hand-offs at once (default: every rep).
    responders: int | None = Field(None, gt=0)


class Recycling(_Model):
    """When a lead goes back to nurture, with which reasons, and when it may come back."""

    reasons: dict[str, str] = Field(
        default_factory=lambda: {
            "bad_timing": "Interested, but not buying this quarter.",
            "no_budget": "No budget allocated yet.",
            "no_response": "No reply after the agreed follow-up attempts.",
        }
    )
    attempts_before_recycling: int = Field(6, ge=1)
    nurture_days: int = Field(90, ge=0)
    return_criteria: str = (
        "Re-scores above the MQL threshold, or asks for a demo or pricing, after nurture."
    )


class SLA(_Model):
    """Service-level agreement between marketing and sales."""

    lead_response_hours: float = Field(gt=0)
    acceptance_hours: float = Field(48, gt=0)
    #: Share of hand-offs to answer within the response time (the compliance target).
    compliance_target: float = Field(0.9, gt=0, le=1)
    recycling: Recycling = Recycling()


class Scorecard(_Model):
    """Thresholds of the weekly scorecard, as shares of plan to date.

    A KPI at or above ``on_track`` of plan is on track, at or above ``at_risk`` is at risk,
    below is behind. ``kpis`` picks and orders the KPIs shown (at most eight).
    """

    on_track: float = Field(0.95, gt=0)
    at_risk: float = Field(0.85, gt=0)
    kpis: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Scorecard:
        if self.at_risk > self.on_track:
            raise ValueError("at_risk must not be above on_track")
        return self


SourceFormat = Literal["hubspot", "hubspot_deals", "salesforce", "csv"]
#: How dates are written: an order, or a strftime pattern (e.g. ``%d.%m.%Y %H:%M``).
DateFormat = Annotated[str, Field(pattern=r"^(MDY|DMY|YMD|.*%.*)$")]


class Deals(_Model):
    """A deals or opportunities table joined onto the leads table.

    ``key`` is the column of the deals file that holds the lead's ``id``; ``columns`` maps
    canonical fields (``entered_<stage>``, ``close_date``, ``amount``, ``outcome``,
    ``owner``, ...) to the deals file's columns.
    """

    file: Path
    key: str
    columns: dict[str, str] = Field(default_factory=dict)


class SQLSource(_Model):
    """A warehouse table or query read through SQLAlchemy instead of an export file.

    ``url`` may name an environment variable (``${CRM_WAREHOUSE_URL}``); ``tables`` renames
    the replicated objects (``lead``, ``opportunity``, ``opportunity_history``,
    ``contact``, ``deal``) where the warehouse calls them otherwise.
    """

    url: str
    table: str | None = None
    query: str | None = None
    schema_name: str | None = Field(None, alias="schema")
    tables: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> SQLSource:
        if self.table is not None and self.query is not None:
            raise ValueError("give a table or a query, not both")
        return self


#: Names the plan and metrics tables use for their own columns beside one column per stage;
#: a stage cannot take one (its label, which pages print, can be anything).
RESERVED_STAGE_NAMES = frozenset(
    {
        "label", "share", "leads", "cost_per_lead", "budget", "bookings", "deal_size",
        "rate_to_won", "cac", "rate_source", "deal_size_source", "complete", "age_days",
        "maturing", "month", "quarter", "total", "channel", "stage", "plan", "actual",
        "variance", "attainment", "projected", "plan_total", "cohort",
    }
)  # fmt: skip

#: The value that asks for a section to be learned from the actuals.
FROM_ACTUALS = "from_actuals"
#: Sections learned from the actuals when missing or ``from_actuals``.
LEARNABLE = ("conversion_rates", "lag_days", "deal_size", "channels")


class Actuals(_Model):
    """Where the actuals are: CRM exports and the spend file (paths resolved on load)."""

    crm_export: Path | None = None
    format: SourceFormat = "hubspot"
    opportunities: Path | None = None
    leads: Path | None = None
    deals: Deals | None = None
    sql: SQLSource | None = None
    spend: Path | None = None
    stage_mapping: dict[str, str | None] = Field(default_factory=dict)
    #: Outcome label -> won, lost or open (case and spaces ignored).
    outcome_mapping: dict[str, Literal["won", "lost", "open"]] = Field(default_factory=dict)
    columns: dict[str, str] = Field(default_factory=dict)
    as_of: dt.date | None = None
    date_format: DateFormat | None = None
    decimal: Literal[",", "."] | None = None
    encoding: str | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    #: Largest plausible amount; larger ones are row problems.
    max_amount: float = Field(1e9, gt=0)

    @model_validator(mode="after")
    def _a_source(self) -> Actuals:
        files = (self.crm_export, self.leads, self.opportunities)
        if self.sql is None and all(f is None for f in files):
            raise ValueError(
                "give crm_export (an export file; for salesforce: leads and/or opportunities)"
                " or sql (a warehouse source)"
            )
        return self


class ArmCounts(_Model):
    """Conversions out of the leads assigned to one arm of an experiment."""

    conversions: int = Field(ge=0)
    n: int = Field(gt=0)

    @model_validator(mode="after")
    def _not_more_than_n(self) -> ArmCounts:
        if self.conversions > self.n:
            raise ValueError(f"conversions ({self.conversions}) are more than n ({self.n})")
        return self


class ExperimentSpec(_Model):
    """An experiment that changes one stage's conversion rate."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    stage: str
    description: str = ""
    control: ArmCounts | None = None
    variants: dict[str, ArmCounts] = Field(default_factory=dict)
    expected_shares: tuple[float, ...] | None = None
    planned_n_per_arm: int | None = Field(None, gt=0)
    export: Path | None = None

    @field_validator("expected_shares")
    @classmethod
    def _shares_sum_to_one(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None:
            if any(s <= 0 for s in value):
                raise ValueError("shares must be positive")
            if problem := shares_sum_to_one(value):
                raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _counts_or_export(self) -> ExperimentSpec:
        if self.export is None and (self.control is None or not self.variants):
            raise ValueError("give control and variants counts, or an export file")
        if self.expected_shares is not None:
            if self.variants and len(self.expected_shares) != 1 + len(self.variants):
                raise ValueError(
                    f"expected_shares has {len(self.expected_shares)} entries for "
                    f"{1 + len(self.variants)} arms (control first, then each variant)"
                )
        return self


class VolumeSpread(_Model):
    """Lead volume that varies more than Poisson: gamma-Poisson with this coefficient."""

    cv: float = Field(ge=0, le=5)


class Simulation(_Model):
    """Monte Carlo settings.

    ``lead_volume``: ``poisson``, ``fixed``, ``{cv: 0.1}`` (gamma-Poisson) or ``history``
    (the month-to-month variation around trend in the actuals). None picks ``history``
    when there are actuals, else ``poisson``.
    """

    trials: int = Field(100_000, ge=1)
    seed: int | None = Field(2026, ge=0)
    confidence: float = Field(0.8, gt=0, lt=1)
    lead_volume: Literal["fixed", "poisson", "history"] | VolumeSpread | None = None


class Scenario(_Model):
    """A named set of overrides of the base values (validated as a whole file)."""

    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict)


_QUARTER_PATTERN = r"^\d{4}Q[1-4]$"


class QuarterParams(_Model):
    """Everything one quarter's plan, simulation and reports need.

    Load with :func:`load_params`; build a scenario with :meth:`with_scenario`.
    Rates and lags are keyed by the stage they convert *from*.
    """

    quarter: str = Field(pattern=_QUARTER_PATTERN)
    segment: str = Field("all", pattern=r"^[A-Za-z0-9_.-]+$")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    target: Target
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    conversion_rates: dict[str, RateInput]
    lag_days: dict[str, Lag] = Field(default_factory=dict)
    deal_size: DealSize
    channels: dict[str, Channel] = Field(default_factory=dict)
    pipeline: Pipeline = Pipeline()
    capacity: Capacity | None = None
    sla: SLA | None = None
    actuals: Actuals | None = None
    experiments: tuple[ExperimentSpec, ...] = ()
    simulation: Simulation = Simulation()
    scorecard: Scorecard = Scorecard()
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    # Set by the loader, not by the file.
    extends: str | None = None

    _source_path: Path | None = PrivateAttr(None)
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _scenario_name: str | None = PrivateAttr(None)
    _learned: Any = PrivateAttr(None)
    _learned_keys: tuple[str, ...] = PrivateAttr(())

    @field_validator("segment")
    @classmethod
    def _segment_is_a_folder_name(cls, value: str) -> str:
        # It names a folder under outputs/: "." or ".." would leave the quarter's folder.
        if value in (".", ".."):
            raise ValueError("must be a name, not '.' or '..'")
        return value

    @model_validator(mode="before")
    @classmethod
    def _stage_defaults(cls, data: Any) -> Any:
        # Defaults that depend on the funnel: the coverage stage and the hand-off stage.
        if not isinstance(data, dict):
            return data
        names = _raw_stage_names(data.get("stages"))
        if not names:
            return data
        data = dict(data)
        pipeline = data.get("pipeline")
        if pipeline is None or (isinstance(pipeline, dict) and "stage" not in pipeline):
            stage = "opportunity" if "opportunity" in names[:-1] else names[max(len(names) - 2, 0)]
            data["pipeline"] = {**(pipeline or {}), "stage": stage}
        capacity = data.get("capacity")
        if isinstance(capacity, dict) and "handoff_stage" not in capacity:
            stage = "mql" if "mql" in names else names[min(1, len(names) - 1)]
            data["capacity"] = {**capacity, "handoff_stage": stage}
        return data

    # -- derived, read-only views ---------------------------------------------------------
    @property
    def source_path(self) -> Path | None:
        """The YAML file these parameters came from."""
        return self._source_path

    @property
    def learned(self) -> Any:
        """What the actuals taught (:class:`alignlib.history.FunnelHistory`), or None.

        Set when a section was missing or ``from_actuals`` and was learned at load.
        """
        return self._learned

    @property
    def learned_keys(self) -> tuple[str, ...]:
        """The sections learned from the actuals at load (empty when none)."""
        return self._learned_keys

    @property
    def scenario_name(self) -> str | None:
        """The scenario applied, or None for the base plan."""
        return self._scenario_name

    @property
    def stage_names(self) -> tuple[str, ...]:
        """Canonical stage names, top to bottom."""
        return tuple(s.name for s in self.stages)

    @property
    def stage_labels(self) -> dict[str, str]:
        """Canonical stage name -> printed label."""
        return {s.name: s.label for s in self.stages}

    @property
    def transitions(self) -> tuple[str, ...]:
        """The stages that convert into a next stage (every stage but the last)."""
        return self.stage_names[:-1]

    @property
    def rates(self) -> list[float]:
        """Point conversion rates, top to bottom (``len(stages) - 1`` of them)."""
        return [self.conversion_rates[s].rate for s in self.transitions]

    @property
    def rate_inputs(self) -> list[float | tuple[int, int]]:
        """Rates as the simulation takes them: a rate, or ``(converted, total)``."""
        return [self.conversion_rates[s].simulation_input for s in self.transitions]

    @property
    def lags(self) -> list[Lag]:
        """Stage-transition lags, top to bottom (zero where none were given)."""
        return [self.lag_days.get(s, Lag(typical=0.0)) for s in self.transitions]

    @property
    def quarter_period(self) -> pd.Period:
        """The quarter as a pandas Period."""
        return pd.Period(self.quarter, freq="Q")

    @property
    def months(self) -> list[pd.Period]:
        """The quarter's three months."""
        q = self.quarter_period
        return list(pd.period_range(q.asfreq("M", "start"), q.asfreq("M", "end"), freq="M"))

    @property
    def quarter_start(self) -> dt.date:
        """First day of the quarter."""
        return self.quarter_period.start_time.date()

    @property
    def quarter_end(self) -> dt.date:
        """Last day of the quarter."""
        return self.quarter_period.end_time.date()

    @property
    def phasing(self) -> tuple[float, float, float]:
        """Share of bookings per month (equal thirds unless the file says otherwise)."""
        return self.target.monthly_phasing or (1 / 3, 1 / 3, 1 / 3)

    @property
    def label(self) -> str:
        """``2026Q4 · enterprise · conservative`` for titles and file names."""
        parts = [self.quarter, self.segment]
        if self._scenario_name:
            parts.append(self._scenario_name)
        return " · ".join(parts)

    def with_scenario(self, name: str | None) -> QuarterParams:
        """These parameters with scenario ``name``'s overrides applied (None: unchanged).

        Raises
        ------
        ParamsError
            If the scenario does not exist or its overrides do not validate.
        """
        if name is None:
            return self
        path = self._source_path or Path("<params>")
        if name not in self.scenarios:
            known = ", ".join(self.scenarios) or "none defined"
            raise ParamsError(
                path, [Problem("scenarios", f"no scenario {name!r} (known: {known})")]
            )
        merged = _deep_merge(self._raw, self.scenarios[name].overrides)
        params = _validate(merged, path, prefix=f"scenarios.{name}.overrides", lines=self._lines)
        params._scenario_name = name
        return params


# -- loading ------------------------------------------------------------------------------


def load_params(path: str | Path) -> QuarterParams:
    """Load and validate a quarter's parameters file.

    Parameters
    ----------
    path : str or Path
        A YAML file, e.g. ``params/2026Q4.yaml``. A file may ``extends:`` another
        (relative to itself) and override any of its values.

    Returns
    -------
    QuarterParams
        Validated, frozen parameters. Relative data paths are resolved against the
        file that names them.

    Raises
    ------
    ParamsError
        Missing or unreadable file, broken YAML, unknown keys, wrong types, values
        out of range, references to unknown stages, shares that do not sum to 1,
        missing data files, or a scenario whose overrides do not validate. The
        message names the file, the key path and line, and what is wrong.
    """
    path = Path(path)
    raw, lines = _read_with_extends(path, seen=())
    gaps = _gaps(raw)
    if gaps:
        params = _learn_gaps(raw, gaps, path, lines)
    else:
        params = _validate(raw, path, prefix="", lines=lines)
    # Validate every scenario now, so a typo in one fails at load, not mid-batch.
    for name in params.scenarios:
        params.with_scenario(name)
    return params


# libyaml's parser where the wheel has it (several times faster on large files).
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """A safe YAML loader that notes every key given twice in one mapping (YAML lets the last win)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    self.duplicates.append((key_node.value, seen[key_node.value], line))
                else:
                    seen[key_node.value] = line
        return super().construct_mapping(node, deep)


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Dotted key path -> line, for every key and list item in a YAML node tree (one pass)."""
    lines: dict[str, int] = {}
    stack: list[tuple[yaml.Node, str]] = [(node, prefix)] if node is not None else []
    while stack:
        current, path = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key_path = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines.setdefault(key_path, key_node.start_mark.line + 1)
                stack.append((value_node, key_path))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                item_path = f"{path}.{i}" if path else str(i)
                lines.setdefault(item_path, item.start_mark.line + 1)
                stack.append((item, item_path))
    return lines


def _control_character_problems(data: Any, lines: Mapping[str, int]) -> list[Problem]:
    """Keys and values holding control characters (they hide text and break pages)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                key_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and _CONTROL.search(key):
                    problems.append(_control_problem(key_path, key, lines, "key"))
                stack.append((item, key_path))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i)) for i, item in enumerate(value))
        elif isinstance(value, str) and _CONTROL.search(value):
            problems.append(_control_problem(path, value, lines, "value"))
    return problems


def _control_problem(path: str, text: str, lines: Mapping[str, int], what: str) -> Problem:
    found = _CONTROL.search(text)
    code = f"U+{ord(found.group()):04X}" if found else "a control character"
    line = lines.get(path)
    where = printable_key(path) + (f" (line {line})" if line else "")
    return Problem(where, f"the {what} holds a control character ({code}); remove it")


def printable_key(path: str) -> str:
    """A key path safe to print: control characters shown as hex escapes.

    Parameters
    ----------
    path : str
        A dotted key path from a params file.

    Returns
    -------
    str
        The path with control characters escaped.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read one YAML file: its data and the line of every key path."""
    if not path.exists():
        raise ParamsError(path, [Problem("", "file not found")])
    if path.is_dir():
        raise ParamsError(path, [Problem("", "is a folder, not a YAML file")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParamsError(
            path,
            [Problem("", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")],
        ) from None
    except OSError as exc:
        raise ParamsError(path, [Problem("", f"cannot be read: {exc.strerror}")]) from None
    loader: _StrictLoader | None = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        if isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
            where, what = f"line {line}", f"character U+{exc.character:04X} is not allowed"
        raise ParamsError(path, [Problem(where, f"broken YAML: {what}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.duplicates:
        problems = [
            Problem(
                f"line {second}",
                f"key {printable_key(str(key))!r} is given twice (lines {first} and {second});"
                " YAML would silently keep the second",
            )
            for key, first, second in loader.duplicates
        ]
        raise ParamsError(path, _capped(problems))
    if data is None:
        raise ParamsError(path, [Problem("", "file is empty")])
    if not isinstance(data, dict):
        raise ParamsError(path, [Problem("", "must be a mapping of keys to values at the top")])
    lines = _key_lines(node)
    if problems := _control_character_problems(data, lines):
        raise ParamsError(path, _capped(problems))
    return data, lines


def _capped(problems: list[Problem], total: int | None = None) -> list[Problem]:
    """The first :data:`MAX_LISTED_PROBLEMS` problems, the rest (of ``total``) in one line."""
    total = len(problems) if total is None else total
    if total <= MAX_LISTED_PROBLEMS:
        return problems
    rest = total - MAX_LISTED_PROBLEMS
    return [*problems[:MAX_LISTED_PROBLEMS], Problem("", f"... and {rest:,} more problems")]


def _raw_stage_names(stages: Any) -> list[str]:
    """Stage names from a file's raw ``stages:`` list (the defaults when absent)."""
    if stages is None:
        return [s.name for s in DEFAULT_STAGES]
    if not isinstance(stages, list | tuple):
        return []
    names = []
    for s in stages:
        name = s.get("name") if isinstance(s, dict) else getattr(s, "name", s)
        if isinstance(name, str):
            names.append(name)
    return names


def _gaps(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The learnable sections a file leaves to the actuals (missing or ``from_actuals``)."""
    if not isinstance(raw.get("actuals"), dict):
        return tuple(k for k in LEARNABLE if raw.get(k) == FROM_ACTUALS)
    return tuple(k for k in LEARNABLE if k not in raw or raw.get(k) == FROM_ACTUALS)


# Stand-ins that let a file with gaps validate far enough to read its actuals; they are
# replaced by what the actuals teach before the parameters are used.
_STAND_INS: dict[str, Any] = {
    "conversion_rates": lambda names: {s: 0.5 for s in names[:-1]},
    "lag_days": lambda names: {},
    "deal_size": lambda names: {"mean": 1.0},
    "channels": lambda names: {},
}


def _learn_gaps(
    raw: dict[str, Any], gaps: tuple[str, ...], path: Path, lines: Mapping[str, int]
) -> QuarterParams:
    """Validate a file whose ``gaps`` are learned from its actuals."""
    if not isinstance(raw.get("actuals"), dict):
        raise ParamsError(
            path,
            [
                Problem(
                    f"{key}{_line_suffix(lines, '', key)}",
                    f"{FROM_ACTUALS} needs an actuals: section to learn from",
                )
                for key in gaps
            ],
        )
    names = _raw_stage_names(raw.get("stages"))
    draft_raw = dict(raw)
    for key in gaps:
        draft_raw[key] = _STAND_INS[key](names)
    draft = _validate(draft_raw, path, prefix="", lines=lines)
    from alignlib.errors import AlignError
    from alignlib.history import learned_sections

    try:
        sections, history = learned_sections(draft, gaps)
    except AlignError as exc:
        where = ", ".join(gaps)
        raise ParamsError(
            path, [Problem(where, f"cannot be learned from the actuals: {exc}")]
        ) from None
    complete = {k: v for k, v in raw.items() if k not in gaps} | sections
    params = _validate(complete, path, prefix="", lines=lines)
    params._learned = history
    params._learned_keys = gaps
    return params


def _read_with_extends(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, int]]:
    path = path.resolve() if path.exists() else path
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ParamsError(path, [Problem("extends", f"files extend each other in a loop: {chain}")])
    data, lines = _read_yaml(path)
    _resolve_relative_paths(data, path.parent)
    base_name = data.get("extends")
    if base_name is None:
        return data, lines
    if not isinstance(base_name, str):
        raise ParamsError(path, [Problem("extends", "must be a file name (a string)")])
    base, _ = _read_with_extends(path.parent / base_name, seen=(*seen, path))
    base.pop("extends", None)
    merged = _deep_merge(base, data)
    merged["extends"] = base_name
    return merged, lines


def _resolve_relative_paths(data: dict[str, Any], folder: Path) -> None:
    actuals = data.get("actuals")
    if isinstance(actuals, dict):
        for key in ("crm_export", "opportunities", "leads", "spend"):
            if isinstance(actuals.get(key), str):
                actuals[key] = str((folder / actuals[key]).resolve())
        deals = actuals.get("deals")
        if isinstance(deals, dict) and isinstance(deals.get("file"), str):
            deals["file"] = str((folder / deals["file"]).resolve())
    experiments = data.get("experiments")
    if isinstance(experiments, list):
        for exp in experiments:
            if isinstance(exp, dict) and isinstance(exp.get("export"), str):
                exp["export"] = str((folder / exp["export"]).resolve())


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merge key by key, everything else replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _validate(
    raw: dict[str, Any], path: Path, prefix: str, lines: Mapping[str, int]
) -> QuarterParams:
    try:
        params = QuarterParams.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # Describe only the problems that are listed: a file of 100,000 unknown keys stays fast.
        problems = [
            _problem_from_pydantic(err, prefix, lines) for err in errors[:MAX_LISTED_PROBLEMS]
        ]
        raise ParamsError(path, _capped(problems, total=len(errors))) from None
    problems = [
        Problem(_join(prefix, p.location) + _line_suffix(lines, prefix, p.location), p.message)
        for p in _cross_checks(params)
    ]
    if problems:
        raise ParamsError(path, _capped(problems))
    params._source_path = path
    params._raw = raw
    params._lines = dict(lines)
    return params


def _join(prefix: str, location: str) -> str:
    return f"{prefix}.{location}" if prefix and location else prefix or location


def _problem_from_pydantic(
    err: Mapping[str, Any], prefix: str, lines: Mapping[str, int]
) -> Problem:
    # Pydantic adds the union/validator branch names to loc; keep only the key path.
    loc = [str(p) for p in err["loc"] if not str(p).startswith(("function-", "tagged-union"))]
    location = printable_key(".".join(loc))
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        key = loc[-1] if loc else ""
        allowed = _allowed_keys(loc[:-1])
        hint = difflib.get_close_matches(key, allowed, n=1)
        message = "unknown key" + (f"; did you mean {hint[0]!r}?" if hint else "")
        allowed = allowed if len(allowed) <= 30 else []
        if allowed:
            message += f" (allowed: {', '.join(sorted(allowed))})"
    elif kind == "missing":
        message = "required key is missing"
    else:
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if (
            "input" in err
            and kind not in ("model_type", "dict_type")
            and not isinstance(err["input"], dict | list)
        ):
            message += f" (got {err['input']!r})"
    return Problem(_join(prefix, location) + _line_suffix(lines, prefix, location), message)


def _allowed_keys(loc: list[str]) -> list[str]:
    """Keys allowed in the mapping found at key path ``loc`` (empty if not a model)."""
    annotation: Any = QuarterParams
    for part in loc:
        annotation = _unwrap(annotation)
        origin = typing.get_origin(annotation)
        if origin in (dict, Mapping):
            annotation = typing.get_args(annotation)[1]  # ``part`` is a key of the mapping
        elif origin in (tuple, list):
            annotation = typing.get_args(annotation)[0]  # ``part`` is an index
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return []
            annotation = field.annotation
        else:
            return []
    annotation = _unwrap(annotation)
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return []
    fields = annotation.model_fields
    return [f.alias or name for name, f in fields.items() if name != "extends"]


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds keys."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _line_suffix(lines: Mapping[str, int], prefix: str, location: str) -> str:
    """`` (line N)`` for a key path: the deepest key of it found in the file, else ``""``.

    A scenario's problem is looked up under its ``scenarios.<name>.overrides`` first, then
    in the base values it did not override.
    """
    if not location:
        return ""
    parts = location.split(".")
    for root in ([prefix] if prefix else []) + [""]:
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            line = lines.get(f"{root}.{key}" if root else key)
            if line is not None:
                return f" (line {line})"
    return ""


def _cross_checks(p: QuarterParams) -> list[Problem]:
    """Checks that span fields: stage references, completeness, shares, files."""
    problems: list[Problem] = []
    names = p.stage_names
    known = ", ".join(names)

    if len(names) < 2:
        problems.append(Problem("stages", "the funnel needs at least two stages"))
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(Problem("stages", f"stage names repeat: {', '.join(duplicates)}"))
    for i, name in enumerate(names):
        if name in RESERVED_STAGE_NAMES:
            problems.append(
                Problem(
                    f"stages.{i}.name",
                    f"{name!r} names a column of the plan's tables; call the stage e.g. "
                    f"'{name}_stage' (its label can still read {name.replace('_', ' ').title()!r})",
                )
            )
    transitions = names[:-1]

    def check_keys(section: str, keys: Mapping[str, Any], *, complete: bool) -> None:
        for key in keys:
            if key not in names:
                hint = difflib.get_close_matches(key, names, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                problems.append(
                    Problem(f"{section}.{key}", f"unknown stage{extra} (stages are {known})")
                )
            elif key == names[-1]:
                problems.append(
                    Problem(
                        f"{section}.{key}",
                        f"{key!r} is the last stage: it converts into nothing",
                    )
                )
        if complete:
            missing = [s for s in transitions if s not in keys]
            if missing:
                problems.append(
                    Problem(
                        section,
                        f"missing for stage(s) {', '.join(missing)} (one per stage but the last)",
                    )
                )

    check_keys("conversion_rates", p.conversion_rates, complete=True)
    if p.lag_days:
        check_keys("lag_days", p.lag_days, complete=True)

    if p.channels and (problem := shares_sum_to_one(c.share for c in p.channels.values())):
        problems.append(Problem("channels", f"channel {problem}"))
    for name, channel in p.channels.items():
        check_keys(f"channels.{name}.conversion_rates", channel.conversion_rates, complete=False)
    if p.channels and sum(c.min_share for c in p.channels.values()) > 1 + SHARE_TOLERANCE:
        problems.append(Problem("channels", "the channels' min_share add up to more than 1"))

    if p.pipeline.stage not in transitions:
        problems.append(
            Problem(
                "pipeline.stage", f"{p.pipeline.stage!r} is not a stage before the last ({known})"
            )
        )
    if p.capacity is not None and p.capacity.handoff_stage not in names:
        problems.append(
            Problem(
                "capacity.handoff_stage",
                f"unknown stage {p.capacity.handoff_stage!r} (stages are {known})",
            )
        )

    if p.actuals is not None:
        a = p.actuals
        for key in ("crm_export", "opportunities", "leads", "spend"):
            value = getattr(a, key)
            if value is not None and not Path(value).exists():
                problems.append(Problem(f"actuals.{key}", f"file not found: {value}"))
        if a.deals is not None and not Path(a.deals.file).exists():
            problems.append(Problem("actuals.deals.file", f"file not found: {a.deals.file}"))
        for key, value in [
            *(("columns." + k, k) for k in a.columns),
            *(("deals.columns." + k, k) for k in (a.deals.columns if a.deals else {})),
        ]:
            if value.startswith("entered_") and value[8:] not in names:
                problems.append(
                    Problem(f"actuals.{key}", f"unknown stage {value[8:]!r} (stages are {known})")
                )
        for label, stage in a.stage_mapping.items():
            if stage is not None and stage not in names:
                problems.append(
                    Problem(
                        f"actuals.stage_mapping.{label}",
                        f"unknown stage {stage!r} (stages are {known})",
                    )
                )

    seen: set[str] = set()
    for i, exp in enumerate(p.experiments):
        where = f"experiments.{i}"
        if exp.name in seen:
            problems.append(Problem(f"{where}.name", f"experiment name {exp.name!r} is used twice"))
        seen.add(exp.name)
        if exp.stage not in transitions:
            problems.append(
                Problem(
                    f"{where}.stage",
                    f"{exp.stage!r} is not a stage that converts into a next one ({', '.join(transitions)})",
                )
            )
        if exp.export is not None and not Path(exp.export).exists():
            problems.append(Problem(f"{where}.export", f"file not found: {exp.export}"))

    for name, scenario in p.scenarios.items():
        bad = sorted(set(scenario.overrides) & {"quarter", "segment", "scenarios", "extends"})
        if bad:
            problems.append(
                Problem(f"scenarios.{name}.overrides", f"cannot override {', '.join(bad)}")
            )
    if not math.isfinite(p.target.bookings):
        problems.append(Problem("target.bookings", "must be a finite amount"))
    return problems
