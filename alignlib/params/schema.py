"""The params file's schema: typed, frozen models of every section.

:class:`QuarterParams` holds one quarter's parameters and their derived, read-only views;
the other models are its sections. Models check what one section can check on its own;
checks that span sections are in :mod:`alignlib.params.checks`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from alignlib.errors import ParamsError, Problem
from alignlib.params.checks import shares_sum_to_one
from alignlib.taxonomy import DEFAULT_STAGES, Stage


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


class Hire(_Model):
    """Planned hires: how many account executives start on one date."""

    start: dt.date
    count: int = Field(gt=0, le=10_000)


class SalesTeam(_Model):
    """The quota-carrying team that books the demand plan, and how it grows.

    ``reps`` are today's ramped account executives; each books ``quota_per_rep`` a quarter
    at full productivity, times ``attainment`` (the share of quota a ramped rep books;
    learned from the actuals' bookings per owner when left out). A new hire works at
    ``ramp[k]`` of full productivity in the k-th month after starting (1 after the ramp);
    ``attrition_per_year`` of the team leaves in a year; a role opened today starts
    ``hiring_lead_months`` later.
    """

    reps: int = Field(ge=0, le=100_000)
    quota_per_rep: float = Field(gt=0)
    attainment: float | None = Field(None, gt=0, le=3)
    ramp: tuple[float, ...] = Field((), max_length=36)
    attrition_per_year: float = Field(0.0, ge=0, lt=1)
    hires: tuple[Hire, ...] = ()
    hiring_lead_months: int = Field(3, ge=0, le=36)

    @field_validator("ramp")
    @classmethod
    def _ramp_shares(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        bad = [f"{x:g}" for x in value if not 0 <= x <= 1]
        if bad:
            raise ValueError(
                f"ramp shares are shares of full productivity, from 0 to 1 (got {', '.join(bad)})"
            )
        return value


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
    #: When sales answers hand-offs: ``Mon-Fri 09:00-17:00`` (days, then local hours) or
    #: ``24/7`` (around the clock). Left out: the capacity section's hours from 09:00 on
    #: its working days, unless the actuals' first responses show a team answering
    #: around the clock.
    working_hours: str | None = None
    #: The IANA time zone of the working hours (``Europe/Berlin``): the export's times are
    #: read as UTC and converted to it. Left out: the export's times are the team's own.
    timezone: str | None = None

    @field_validator("working_hours")
    @classmethod
    def _working_hours(cls, value: str | None) -> str | None:
        if value is not None:
            from alignlib.planning.response_queue import parse_working_hours

            parse_working_hours(value)  # raises ValueError naming what is wrong
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            import zoneinfo

            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"{value!r} is not a time zone name (use an IANA name such as "
                    "'Europe/Berlin' or 'America/New_York')"
                ) from exc
        return value


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


#: The labels a YAML boolean key may have been written as.
_BOOL_LABELS = {True: ("true", "yes", "y", "on"), False: ("false", "no", "n", "off")}


def _label_key(key: Any) -> Any:
    """A label mapping's number key as text: ``1`` -> ``"1"``, ``1.0`` -> ``"1"``."""
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if isinstance(key, float):
        return str(key)
    return key


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
    #: Largest share of rejected rows (of the export, and of each stage) before figures
    #: computed from it are refused (``alignlib ingest --max-rejected`` holds the same).
    max_rejected: float = Field(0.5, ge=0, le=1)

    @field_validator("stage_mapping", "outcome_mapping", mode="before")
    @classmethod
    def _labels_as_written(cls, value: Any) -> Any:
        # YAML reads `{1: won, 0: lost}` (a 0/1 Converted column) with number keys; the
        # export's labels are text, so the key is the label as it is written there.
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for k, v in value.items():
            # YAML 1.1 reads yes/no, on/off and true/false alike: each spelling is a label.
            keys = _BOOL_LABELS[k] if isinstance(k, bool) else (_label_key(k),)
            out.update(dict.fromkeys(keys, v))
        return out

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
    sales_team: SalesTeam | None = None
    #: Bookings targets of other quarters (``2027Q1: 2600000``) for the annual plan.
    targets: dict[
        Annotated[str, Field(pattern=_QUARTER_PATTERN)], Annotated[float, Field(gt=0)]
    ] = Field(default_factory=dict)
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
    # Sections left to the actuals that are not learned yet (stand-ins until
    # :func:`alignlib.history.learning.learn_params` fills them), and what that step read.
    _pending_keys: tuple[str, ...] = PrivateAttr(())
    _history: Any = PrivateAttr(None)
    _actuals_problem: str | None = PrivateAttr(None)
    _actuals_error: Any = PrivateAttr(None)
    _is_learned: bool = PrivateAttr(False)
    _reference_shares: dict[str, float] | None = PrivateAttr(None)

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
        """What the actuals taught (:class:`alignlib.history.funnel.FunnelHistory`), or None.

        Set when a section was missing or ``from_actuals`` and was learned at load.
        """
        return self._learned

    @property
    def learned_keys(self) -> tuple[str, ...]:
        """The sections learned from the actuals (empty when none)."""
        return self._learned_keys

    @property
    def pending_keys(self) -> tuple[str, ...]:
        """Sections the file leaves to the actuals that are not learned yet.

        Loading reads no data: a file with ``from_actuals`` (or missing) sections holds
        stand-ins for them until :func:`alignlib.history.learning.learn_params` runs.
        """
        return self._pending_keys

    @property
    def is_learned(self) -> bool:
        """True once the actuals were read and learned from (or there are none to read)."""
        return self.actuals is None or self._is_learned

    @property
    def history(self) -> Any:
        """What :func:`alignlib.history.learning.learn_params` learned (:class:`~alignlib.history.learning.ActualsHistory`).

        None before learning, without actuals, or when the actuals could not be read
        (:attr:`actuals_problem` says why).
        """
        return self._history

    @property
    def reference_shares(self) -> dict[str, float]:
        """Channel -> share of leads as the params file states them (before any scenario).

        Channel differences learned from the actuals average back to the file's blended
        rates and deal size at these shares; a scenario that moves the mix keeps them, so
        its blend moves.
        """
        reference = self._reference_shares or {}
        return {name: reference.get(name, ch.share) for name, ch in self.channels.items()}

    @property
    def actuals_problem(self) -> str | None:
        """Why the actuals could not be read when learning (None when they were)."""
        return self._actuals_problem

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

    def with_max_rejected(self, share: float | None) -> QuarterParams:
        """These parameters with ``actuals.max_rejected`` set (``--max-rejected``; None: unchanged).

        Set before learning: the limit is applied when the actuals are read, and every
        scenario keeps it (they keep the same reading).

        Parameters
        ----------
        share : float or None
            In [0, 1].

        Returns
        -------
        QuarterParams
        """
        if share is None or self.actuals is None:
            return self
        out = self.model_copy(
            update={"actuals": self.actuals.model_copy(update={"max_rejected": float(share)})}
        )
        raw = dict(self._raw)
        raw["actuals"] = {**dict(raw.get("actuals") or {}), "max_rejected": float(share)}
        out._raw = raw
        return out

    def with_scenario(self, name: str | None) -> QuarterParams:
        """These parameters with scenario ``name``'s overrides applied (None: unchanged).

        Raises
        ------
        ParamsError
            If the scenario does not exist or its overrides do not validate.
        """
        if name is None:
            return self
        # Loading and validation build on this schema: imported here, not at the top.
        from alignlib.params.load import _deep_merge
        from alignlib.params.validate import _validate

        path = self._source_path or Path("<params>")
        if name not in self.scenarios:
            known = ", ".join(self.scenarios) or "none defined"
            raise ParamsError(
                path, [Problem("scenarios", f"no scenario {name!r} (known: {known})")]
            )
        merged = _deep_merge(self._raw, self.scenarios[name].overrides)
        params = _validate(merged, path, prefix=f"scenarios.{name}.overrides", lines=self._lines)
        params._scenario_name = name
        params._reference_shares = self.reference_shares
        # A scenario changes inputs, not what the actuals taught: it keeps the same reading
        # (unless it points at other actuals, which are then learned on their own).
        if params.actuals != self.actuals:
            return params
        for attr in (
            "_learned",
            "_learned_keys",
            "_pending_keys",
            "_history",
            "_actuals_problem",
            "_actuals_error",
            "_is_learned",
        ):
            setattr(params, attr, getattr(self, attr))
        return params


# -- loading ------------------------------------------------------------------------------


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
