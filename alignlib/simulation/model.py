"""The funnel a simulation runs: :class:`FunnelModel` (typed, frozen) and its parts.

Build one with :func:`build_model` (loose input: numbers, ``(converted, total)`` pairs,
``(typical, spread)`` lags, params objects; every value checked) or
:func:`~alignlib.simulation.model_from_params`; change one input with
``dataclasses.replace(model, leads=LeadVolume.poisson(8000), deal_size=DealSize(...))``.
The timing probabilities are derived from the primary fields on demand (and cached), so a
replaced model is always consistent.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from alignlib.docstrings import STAGES_DOC
from alignlib.errors import InputError
from alignlib.simulation.timing import Timing, timing

#: Won-deal counts below this (at least) get an exact sum of lognormal deal sizes; above,
#: the three-moment shifted-lognormal approximation of the sum (see DealSize.exact_sum_below).
DEAL_SUM_EXACT_BELOW: int = 16

#: Default length of a quarter in days when lags are given without one.
DEFAULT_QUARTER_DAYS: float = 91.0

_MAX_COUNT: int = int(np.iinfo(np.int32).max)


def _check_nonnegative(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: {value!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{what}: {value!r} must be a finite number >= 0")
    return v


def _check_count(value: Any, what: str) -> int:
    v = _check_nonnegative(value, what)
    if v != int(v):
        raise InputError(f"{what}: {value!r} must be a whole number")
    if v > _MAX_COUNT:
        raise InputError(f"{what}: {value!r} is larger than {_MAX_COUNT:,}")
    return int(v)


@dataclass(frozen=True)
class LeadVolume:
    """How many leads a quarter brings: fixed, Poisson, or per-month volumes with a spread.

    Build with :meth:`fixed`, :meth:`poisson` or :meth:`monthly`; ``simulate_funnel`` also
    accepts a plain integer (fixed).

    Attributes
    ----------
    kind : {"fixed", "poisson", "monthly"}
        How the volume varies between trials.
    monthly_means : tuple of float
        Expected leads per month (one entry for fixed and Poisson volumes).
    monthly_spreads : tuple of float
        Standard deviation of each month's volume (monthly only). A spread at or below the
        Poisson spread ``sqrt(mean)`` means Poisson; above it, the month's volume is
        gamma-Poisson (negative binomial) with exactly that spread.
    """

    kind: str
    monthly_means: tuple[float, ...]
    monthly_spreads: tuple[float, ...] = ()

    @classmethod
    def fixed(cls, leads: int) -> LeadVolume:
        """Exactly ``leads`` leads in every trial.

        Parameters
        ----------
        leads : int
            Whole number of leads, >= 0.

        Returns
        -------
        LeadVolume
        """
        return cls("fixed", (float(_check_count(leads, "leads")),))

    @classmethod
    def poisson(cls, mean: float) -> LeadVolume:
        """``Poisson(mean)`` leads per trial.

        Parameters
        ----------
        mean : float
            Expected leads, >= 0.

        Returns
        -------
        LeadVolume
        """
        return cls("poisson", (_check_nonnegative(mean, "leads (Poisson mean)"),))

    @classmethod
    def monthly(cls, volumes: Sequence[float], spread: Sequence[float] | float) -> LeadVolume:
        """Per-month expected volumes with their month-to-month standard deviation.

        Leads of month ``m`` arrive uniformly within it (months of equal length).

        Parameters
        ----------
        volumes : sequence of float
            Expected leads per month.
        spread : float or sequence of float
            Standard deviation of each month's volume (one for all months, or one each).

        Returns
        -------
        LeadVolume
        """
        means = tuple(
            _check_nonnegative(v, f"leads month {i + 1} volume") for i, v in enumerate(volumes)
        )
        if not means:
            raise InputError("leads: monthly volumes are empty; give at least one month")
        spreads_in = [spread] * len(means) if np.isscalar(spread) else list(spread)  # type: ignore[arg-type]
        if len(spreads_in) != len(means):
            raise InputError(
                f"leads: {len(means)} monthly volumes but {len(spreads_in)} spreads; give one per month"
            )
        spreads = tuple(
            _check_nonnegative(s, f"leads month {i + 1} spread") for i, s in enumerate(spreads_in)
        )
        return cls("monthly", means, spreads)

    @classmethod
    def gamma_poisson(cls, mean: float, cv: float, phasing: Sequence[float] = (1.0,)) -> LeadVolume:
        """Overdispersed leads: per month ``lambda ~ Gamma(1/cv², mean_m cv²)``, then Poisson.

        Each month's volume has mean ``mean_m`` and variance ``mean_m + cv² mean_m²``
        (negative binomial); months vary independently.

        Parameters
        ----------
        mean : float
            Expected leads in the whole window.
        cv : float
            Coefficient of variation of each month's expected level (0 = Poisson).
        phasing : sequence of float
            Relative volume of each month (default one window).

        Returns
        -------
        LeadVolume
        """
        total = _check_nonnegative(mean, "leads (mean)")
        c = _check_nonnegative(cv, "leads cv")
        weights = [_check_nonnegative(w, "leads phasing") for w in phasing]
        if not weights or sum(weights) <= 0:
            raise InputError(f"leads: phasing {list(phasing)!r} must have a positive share")
        means = [total * w / sum(weights) for w in weights]
        return cls.monthly(means, [math.sqrt(m + (c * m) ** 2) for m in means])

    def __post_init__(self) -> None:
        # volumes are stored as int32 per trial: keep far from overflow
        top = sum(m + 10 * max(math.sqrt(m), s) for m, s in self._pairs())
        if top > _MAX_COUNT:
            raise InputError(f"leads: an expected volume of {self.mean:,.0f} is too large")

    def _pairs(self) -> list[tuple[float, float]]:
        spreads = self.monthly_spreads or (0.0,) * len(self.monthly_means)
        return list(zip(self.monthly_means, spreads, strict=True))

    @property
    def months(self) -> int:
        """Months the lead window is split into (1 for fixed and Poisson volumes)."""
        return len(self.monthly_means)

    @property
    def mean(self) -> float:
        """Expected leads per trial."""
        return float(sum(self.monthly_means))

    def scaled(self, total_mean: float) -> LeadVolume:
        """The same shape with a different expected total.

        Monthly volumes keep their phasing and each month's gamma shape (the coefficient of
        variation of its level), as the common random numbers of a plan search do.

        Parameters
        ----------
        total_mean : float
            The new expected leads per trial.

        Returns
        -------
        LeadVolume
        """
        if self.kind == "fixed":
            return LeadVolume("fixed", (float(round(total_mean)),))
        if self.kind == "poisson":
            return LeadVolume("poisson", (float(total_mean),))
        factor = total_mean / self.mean if self.mean > 0 else 0.0
        means = tuple(m * factor for m in self.monthly_means)
        spreads = tuple(
            math.sqrt(m) if math.isinf(shape) else math.sqrt(m + m * m / shape)
            for m, shape in zip(means, self.gamma_shapes(), strict=True)
        )
        return LeadVolume("monthly", means, spreads)

    @property
    def cv(self) -> float:
        """Coefficient of variation of the expected level beyond Poisson (0: none)."""
        finite = [sh for sh in self.gamma_shapes() if not math.isinf(sh)]
        return math.sqrt(1.0 / min(finite)) if finite else 0.0

    @property
    def label(self) -> str:
        """How the volume varies, for people: ``Poisson``, ``gamma-Poisson (cv 14%)``."""
        if self.kind == "fixed":
            return "fixed"
        if self.kind == "poisson":
            return "Poisson"
        by_month = " by month" if self.months > 1 else ""
        if self.cv > 0:
            return f"gamma-Poisson{by_month} (cv {self.cv:.0%})"
        return f"Poisson{by_month}"

    def gamma_shapes(self) -> tuple[float, ...]:
        """Per month: shape of the gamma mixing Poisson rate (inf = plain Poisson)."""
        if self.kind != "monthly":
            return (math.inf,) * len(self.monthly_means)
        shapes = []
        for m, s in zip(self.monthly_means, self.monthly_spreads, strict=True):
            extra = s * s - m
            shapes.append(m * m / extra if (m > 0 and extra > 1e-12) else math.inf)
        return tuple(shapes)


@dataclass(frozen=True)
class DealSize:
    """Deal amount: fixed (``spread == 0``) or lognormal with this mean and standard deviation."""

    mean: float
    spread: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and self.mean > 0):
            raise InputError(f"deal_size: mean {self.mean!r} must be > 0")
        if not (math.isfinite(self.spread) and self.spread >= 0):
            raise InputError(f"deal_size spread: {self.spread!r} must be a finite number >= 0")

    @property
    def cv(self) -> float:
        """Coefficient of variation (spread / mean)."""
        return self.spread / self.mean

    @property
    def exact_sum_below(self) -> int:
        """Won-deal count from which a trial's revenue uses the shifted-lognormal sum.

        The approximation's leading error is the sum's excess kurtosis mismatch, which is
        proportional to one deal's excess kurtosis over k; twice that kurtosis keeps it below
        the Monte Carlo error of a 100,000-trial run (tests/simulation/test_draws.py).
        """
        if self.spread == 0:
            return DEAL_SUM_EXACT_BELOW
        w = 1.0 + self.cv**2
        kurtosis = w**4 + 2 * w**3 + 3 * w**2 - 6
        return max(DEAL_SUM_EXACT_BELOW, math.ceil(2 * kurtosis))

    @property
    def lognormal_params(self) -> tuple[float, float]:
        """``(mu, sigma)`` of the log of the amount (method of moments)."""
        s2 = math.log1p(self.cv**2)
        return math.log(self.mean) - s2 / 2.0, math.sqrt(s2)


@dataclass(frozen=True)
class Lag:
    """Days from entering a stage to entering the next: gamma with this mean and sd."""

    typical: float
    spread: float = 0.0


@dataclass(frozen=True)
class Rate:
    """Conversion from ``stage`` into the next: a fixed rate, or historical counts.

    Attributes
    ----------
    stage : str
        From-stage.
    fixed : float or None
        The rate, when fixed; ``None`` when given as counts.
    converted, total : int or float
        Historical counts, read as a ``Beta(1 + converted, 1 + total - converted)`` posterior
        (whole numbers from :meth:`parse`; effective counts, e.g. a channel's own counts
        pooled with a prior, may be fractional: :meth:`from_counts`).
    """

    stage: str
    fixed: float | None
    converted: float = 0
    total: float = 0

    def draw(self, rng: np.random.Generator, n: int) -> float | np.ndarray:
        """The rate of ``n`` trials: the fixed one, or ``n`` draws from the Beta posterior.

        Parameters
        ----------
        rng : numpy.random.Generator
            The stream (not drawn from for a fixed rate).
        n : int
            Trials.

        Returns
        -------
        float or ndarray
        """
        if self.fixed is not None:
            return self.fixed
        return rng.beta(1.0 + self.converted, 1.0 + self.total - self.converted, n)

    @classmethod
    def from_counts(cls, stage: str, converted: float, total: float) -> Rate:
        """A posterior from effective counts, which may be fractional (a prior's share).

        Parameters
        ----------
        stage : str
            From-stage (named in errors).
        converted, total : float
            Effective counts, ``0 <= converted <= total`` and ``total > 0``.

        Returns
        -------
        Rate
        """
        where = f"conversion rate from stage '{stage}'"
        c = _check_nonnegative(converted, f"{where}: converted")
        t = _check_nonnegative(total, f"{where}: total")
        if t <= 0:
            raise InputError(f"{where}: total=0 (no history); give a rate instead of counts")
        if c > t:
            raise InputError(f"{where}: converted={c:g} is more than total={t:g}")
        if c == int(c) and t == int(t):
            return cls(stage, None, int(c), int(t))
        return cls(stage, None, c, t)

    @classmethod
    def parse(cls, stage: str, spec: Any) -> Rate:
        """A rate from a number in (0, 1], ``(converted, total)``, or a params ``RateSpec``.

        Parameters
        ----------
        stage : str
            From-stage (named in errors).
        spec : float, (int, int), or object with ``.converted/.total`` or ``.simulation_input``
            The rate or its counts.

        Returns
        -------
        Rate

        Raises
        ------
        InputError
            Naming the stage and the value: a rate outside (0, 1], negative or fractional
            counts, converted > total, or total = 0.
        """
        where = f"conversion rate from stage '{stage}'"
        if hasattr(spec, "simulation_input"):  # a params RateSpec
            return cls.parse(stage, spec.simulation_input)
        if isinstance(spec, tuple | list) or hasattr(spec, "converted"):
            if hasattr(spec, "converted"):
                c_raw, t_raw = spec.converted, spec.total
            else:
                if len(spec) != 2:
                    raise InputError(f"{where}: {spec!r} must be a rate or (converted, total)")
                c_raw, t_raw = spec
            for name, raw in (("converted", c_raw), ("total", t_raw)):
                if isinstance(raw, bool) or not isinstance(raw, int | np.integer | float):
                    raise InputError(f"{where}: {name}={raw!r} is not a count")
                if raw < 0 or raw != int(raw):
                    raise InputError(f"{where}: {name}={raw!r} must be a whole number >= 0")
            c, t = int(c_raw), int(t_raw)
            if t == 0:
                raise InputError(
                    f"{where}: total=0 (no history); give a rate instead of counts (converted={c})"
                )
            if c > t:
                raise InputError(f"{where}: converted={c} is more than total={t}")
            return cls(stage, None, c, t)
        try:
            r = float(spec)
        except (TypeError, ValueError):
            raise InputError(f"{where}: {spec!r} must be a rate or (converted, total)") from None
        if not (0.0 < r <= 1.0):
            raise InputError(f"{where}: rate {spec!r} is outside (0, 1]")
        return cls(stage, r)

    @property
    def spec(self) -> float | tuple[float, float]:
        """What :meth:`parse` (or :meth:`from_counts`) takes back: the rate, or the counts."""
        return self.fixed if self.fixed is not None else (self.converted, self.total)

    @property
    def mean(self) -> float:
        """Posterior mean (or the fixed rate)."""
        if self.fixed is not None:
            return self.fixed
        return (1.0 + self.converted) / (2.0 + self.total)

    @property
    def point(self) -> float:
        """What a point-estimate calculator uses: the rate, or converted / total."""
        if self.fixed is not None:
            return self.fixed
        return self.converted / self.total if self.converted > 0 else self.mean

    @property
    def exact_point(self) -> float | Fraction:
        """:attr:`point` without rounding: ``Fraction(converted, total)`` for counts.

        What the reverse funnel takes, so that 1 of 3 plans on exactly a third.
        """
        if self.fixed is not None or self.converted <= 0:
            return self.point
        return Fraction(self.converted) / Fraction(self.total)


@dataclass(frozen=True)
class ChannelModel:
    """One lead source whose funnel differs from the blend: its share, rates and deal size.

    Attributes
    ----------
    name : str
        The channel.
    share : float
        Share of the lead volume, in [0, 1] (shares of a model's channels sum to 1).
    rates : tuple of Rate
        One per transition, from the top (counts become Beta posteriors, fractional
        effective counts allowed: :meth:`Rate.from_counts`).
    deal_size : DealSize
        Amount of the channel's won deals.
    """

    name: str
    share: float
    rates: tuple[Rate, ...]
    deal_size: DealSize

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "name", str(self.name))
        share = _check_nonnegative(self.share, f"channel '{self.name}' share")
        if share > 1:
            raise InputError(f"channel '{self.name}' share: {self.share!r} is more than 1")
        set_(self, "share", share)
        set_(self, "rates", tuple(self.rates))
        for r in self.rates:
            if not isinstance(r, Rate):
                raise InputError(f"channel '{self.name}' rates: {r!r} is not a Rate")
        if not isinstance(self.deal_size, DealSize):
            raise InputError(
                f"channel '{self.name}' deal_size: {self.deal_size!r} is not a DealSize"
            )

    @property
    def p_won(self) -> float:
        """Chance one of its leads is won (posterior-mean rates)."""
        return float(np.prod([r.mean for r in self.rates]))


@STAGES_DOC
@dataclass(frozen=True)
class FunnelModel:
    """The whole funnel a simulation runs: validated, typed, frozen (and picklable for dask).

    Build with :func:`build_model` or :func:`~alignlib.simulation.model_from_params`;
    change inputs with ``dataclasses.replace`` (checked again on the way). The timing
    probabilities (:attr:`in_quarter_probability` and the like) are derived from the
    primary fields, so they always match them.

    Attributes
    ----------
    rates : tuple of Rate
        One per transition, from the top.
    leads : LeadVolume
        Leads entering the top stage.
    deal_size : DealSize
        Amount of a won deal.
    lags : tuple of Lag or None
        Days from entering each stage to entering the next; ``None``: every won deal counts.
    quarter_days : float or None
        Length of the quarter and of the lead window (91 when lags are given without it).
    lead_window_start : float
        Day, relative to the quarter's first day, the lead window opens (negative: leads
        arrive before the quarter, as planned).
    carry_in : bool
        Count deals from the other lead windows (earlier and later) that close inside the
        quarter (steady state); only with lags. Every window the lag distribution reaches
        is covered (:mod:`.timing`).
    channels : tuple of ChannelModel
        Lead sources with their own rates and deal size (a mixture: each trial splits its
        leads across them by share); empty: one funnel at ``rates`` and ``deal_size``,
        which stay the blend (the point plan, the what-ifs) when channels are given.
    prior_leads : tuple of LeadVolume
        Volumes of the lead windows before this one, nearest first (leads that already
        arrived); a window beyond the tuple runs ``leads`` (steady state). Only with
        ``carry_in``. :func:`~alignlib.simulation.plan_for_confidence` keeps them fixed.
    """

    stages: tuple[str, ...]
    rates: tuple[Rate, ...]
    leads: LeadVolume
    deal_size: DealSize
    lags: tuple[Lag, ...] | None = None
    quarter_days: float | None = None
    lead_window_start: float = 0.0
    carry_in: bool = False
    channels: tuple[ChannelModel, ...] = ()
    prior_leads: tuple[LeadVolume, ...] = ()

    def __post_init__(self) -> None:
        # normalise in place (frozen: object.__setattr__) so that a model made by
        # dataclasses.replace is as checked and hashable as one from build_model
        set_ = object.__setattr__
        set_(self, "stages", tuple(str(s) for s in self.stages))
        if len(self.stages) < 2:
            raise InputError(f"stages: need at least two stages, got {list(self.stages)}")
        if len(set(self.stages)) != len(self.stages):
            raise InputError(f"stages: names repeat in {list(self.stages)}")
        set_(self, "rates", tuple(self.rates))
        if len(self.rates) != len(self.stages) - 1:
            raise InputError(
                f"rates: {len(self.rates)} rates for {len(self.stages)} stages; "
                f"need one per transition ({len(self.stages) - 1})"
            )
        for r in self.rates:
            if not isinstance(r, Rate):
                raise InputError(f"rates: {r!r} is not a Rate (use Rate.parse or build_model)")
        if not isinstance(self.leads, LeadVolume):
            raise InputError(
                f"leads: {self.leads!r} is not a LeadVolume (LeadVolume.fixed(n), "
                "LeadVolume.poisson(mean), LeadVolume.monthly(volumes, spread))"
            )
        if not isinstance(self.deal_size, DealSize):
            raise InputError(f"deal_size: {self.deal_size!r} is not a DealSize(mean, spread)")
        start = float(self.lead_window_start)
        if not math.isfinite(start):
            raise InputError(f"lead_window_start: {self.lead_window_start!r} is not a number")
        set_(self, "lead_window_start", start)
        if self.lags is not None:
            set_(self, "lags", tuple(self.lags))
            if len(self.lags) != len(self.stages) - 1 or not all(
                isinstance(g, Lag) for g in self.lags
            ):
                raise InputError(
                    f"lags: need one Lag per transition ({len(self.stages) - 1}), got {self.lags!r}"
                )
            if self.quarter_days is None:
                set_(self, "quarter_days", DEFAULT_QUARTER_DAYS)
        if self.quarter_days is not None:
            qd = float(self.quarter_days)
            if not (math.isfinite(qd) and qd > 0):
                raise InputError(f"quarter_days: {self.quarter_days!r} must be > 0")
            set_(self, "quarter_days", qd)
        set_(self, "carry_in", bool(self.carry_in) and self.lags is not None)
        set_(self, "channels", tuple(self.channels))
        for ch in self.channels:
            if not isinstance(ch, ChannelModel):
                raise InputError(f"channels: {ch!r} is not a ChannelModel")
            if len(ch.rates) != len(self.rates):
                raise InputError(
                    f"channel '{ch.name}': {len(ch.rates)} rates for {len(self.rates)} transitions"
                )
        if self.channels:
            names = [ch.name for ch in self.channels]
            if len(set(names)) != len(names):
                raise InputError(f"channels: names repeat in {names}")
            total = sum(ch.share for ch in self.channels)
            if abs(total - 1.0) > 1e-6:
                raise InputError(f"channels: shares sum to {total:.4g}, not 1")
        set_(self, "prior_leads", tuple(self.prior_leads))
        for v in self.prior_leads:
            if not isinstance(v, LeadVolume):
                raise InputError(f"prior_leads: {v!r} is not a LeadVolume")
            if v.months not in (1, self.leads.months):
                raise InputError(
                    f"prior_leads: a window of {v.months} months; give 1 or "
                    f"{self.leads.months} like the lead volume"
                )

    @property
    def has_lags(self) -> bool:
        """Whether deals take time to close (and may land outside the quarter)."""
        return self.lags is not None

    @property
    def transitions(self) -> list[str]:
        """Labels ``"a→b"`` of each transition, from the top."""
        return [f"{a}→{b}" for a, b in zip(self.stages[:-1], self.stages[1:], strict=True)]

    @functools.cached_property
    def timing(self) -> Timing | None:
        """Timing probabilities per month of lead arrival (``None`` without lags).

        Computed once per model, kept on it (not in a module-level cache).
        """
        if self.lags is None:
            return None
        assert self.quarter_days is not None
        return timing(
            self.lags, self.quarter_days, self.leads.months, self.lead_window_start, self.carry_in
        )

    @property
    def in_quarter_probability(self) -> tuple[float, ...] | None:
        """Per month of lead arrival, P(a won deal from that month closes inside the quarter)."""
        t = self.timing
        return None if t is None else t.in_quarter

    @property
    def before_quarter_probability(self) -> tuple[float, ...] | None:
        """Per month of lead arrival, P(a won deal from that month closes before the quarter)."""
        t = self.timing
        return None if t is None else t.before_quarter

    @property
    def carry_from_previous(self) -> tuple[float, ...] | None:
        """Per month: P(a won deal from the previous window's month closes inside the quarter)."""
        t = self.timing
        return None if t is None else t.carry_from_previous

    @property
    def carry_from_next(self) -> tuple[float, ...] | None:
        """Per month: P(a won deal from the next window's month closes inside the quarter)."""
        t = self.timing
        return None if t is None else t.carry_from_next

    @property
    def carry_windows(self) -> tuple[int, ...]:
        """Offsets of the other lead windows whose deals count (-1: the previous one)."""
        t = self.timing
        return () if t is None else t.carry_offsets

    def window_leads(self, offset: int) -> LeadVolume:
        """The lead volume of the window ``offset`` windows away (0: this one).

        Parameters
        ----------
        offset : int
            Negative: earlier windows (:attr:`prior_leads` where given).

        Returns
        -------
        LeadVolume
        """
        if offset < 0 and -offset <= len(self.prior_leads):
            return self.prior_leads[-offset - 1]
        return self.leads

    @property
    def channel_shares(self) -> np.ndarray:
        """Each channel's share of leads (empty without channels)."""
        return np.array([ch.share for ch in self.channels], dtype=float)

    def with_deal_size(self, deal_size: DealSize) -> FunnelModel:
        """Same funnel, another blended deal size; channels' sizes scale in proportion.

        Parameters
        ----------
        deal_size : DealSize
            The new blended deal size.

        Returns
        -------
        FunnelModel
        """
        f = deal_size.mean / self.deal_size.mean
        g = deal_size.spread / self.deal_size.spread if self.deal_size.spread > 0 else f
        channels = tuple(
            replace(ch, deal_size=DealSize(ch.deal_size.mean * f, ch.deal_size.spread * g))
            for ch in self.channels
        )
        return replace(self, deal_size=deal_size, channels=channels)

    def with_leads(self, leads: LeadVolume) -> FunnelModel:
        """Same funnel, another lead volume (same as ``dataclasses.replace(model, leads=...)``).

        Parameters
        ----------
        leads : LeadVolume
            The new lead volume.

        Returns
        -------
        FunnelModel
        """
        return replace(self, leads=leads)

    def with_rates(self, rates: Mapping[str, Any]) -> FunnelModel:
        """Same funnel with some conversion rates replaced, keyed by from-stage.

        Parameters
        ----------
        rates : mapping
            From-stage -> a rate in (0, 1] or ``(converted, total)``.

        Returns
        -------
        FunnelModel
            Each channel's rate at those stages moves by the blend's factor (a fixed rate,
            capped at 1).
        """
        unknown = [s for s in rates if s not in self.stages[:-1]]
        if unknown:
            raise InputError(
                f"rates: unknown from-stage(s) {unknown}; stages are {list(self.stages)}"
            )
        new = tuple(
            Rate.parse(r.stage, rates[r.stage]) if r.stage in rates else r for r in self.rates
        )
        # a blended rate moved moves every channel's by the same factor (capped at 1), so
        # channels keep how they differ from the blend (as the plan's what-ifs do)
        factors = [n.point / o.point for n, o in zip(new, self.rates, strict=True)]
        channels = tuple(
            replace(
                ch,
                rates=tuple(
                    Rate(c.stage, min(1.0, c.point * f)) if r.stage in rates else c
                    for r, c, f in zip(self.rates, ch.rates, factors, strict=True)
                ),
            )
            for ch in self.channels
        )
        return replace(self, rates=new, channels=channels)


def _parse_deal_size(deal_size: Any) -> DealSize:
    if isinstance(deal_size, DealSize):
        mean, spread = deal_size.mean, deal_size.spread
    elif hasattr(deal_size, "mean") and hasattr(deal_size, "spread"):
        mean, spread = deal_size.mean, deal_size.spread
    elif isinstance(deal_size, tuple | list):
        if len(deal_size) != 2:
            raise InputError(f"deal_size: {deal_size!r} must be an amount or (mean, spread)")
        mean, spread = deal_size
    else:
        mean, spread = deal_size, 0.0
    m = _check_nonnegative(mean, "deal_size mean")
    s = _check_nonnegative(spread, "deal_size spread")
    if m <= 0:
        raise InputError(f"deal_size: mean {mean!r} must be > 0")
    return DealSize(m, s)


def parse_leads(leads: Any) -> LeadVolume:
    """A :class:`LeadVolume` from itself or a whole number of leads (fixed).

    Parameters
    ----------
    leads : int or LeadVolume
        The volume.

    Returns
    -------
    LeadVolume
    """
    if isinstance(leads, LeadVolume):
        return leads
    if isinstance(leads, bool):
        raise InputError(f"leads: {leads!r} is not a number of leads")
    if isinstance(leads, int | np.integer):
        return LeadVolume.fixed(int(leads))
    if isinstance(leads, float) and leads.is_integer():
        return LeadVolume.fixed(int(leads))
    raise InputError(
        f"leads: {leads!r} must be a whole number or a LeadVolume "
        "(LeadVolume.poisson(mean), LeadVolume.monthly(volumes, spread))"
    )


def _parse_lags(lags: Any, stages: Sequence[str]) -> tuple[Lag, ...]:
    n = len(stages) - 1
    if isinstance(lags, Mapping):
        missing = [s for s in stages[:-1] if s not in lags]
        unknown = [k for k in lags if k not in stages[:-1]]
        if unknown:
            raise InputError(f"lags: unknown from-stage(s) {unknown}; stages are {list(stages)}")
        if missing:
            raise InputError(f"lags: no lag for stage(s) {missing}")
        items = [(s, lags[s]) for s in stages[:-1]]
    else:
        items = list(zip(stages[:-1], lags, strict=False))
        if len(list(lags)) != n:
            raise InputError(f"lags: {len(list(lags))} lags given for {n} stage transitions")
    out = []
    for stage, spec in items:
        if hasattr(spec, "typical"):
            typical, spread = spec.typical, spec.spread
        elif isinstance(spec, tuple | list) and len(spec) == 2:
            typical, spread = spec
        else:
            typical, spread = spec, 0.0
        t = _check_nonnegative(typical, f"lag from stage '{stage}' typical days")
        s = _check_nonnegative(spread, f"lag from stage '{stage}' spread days")
        if t == 0 and s > 0:
            raise InputError(f"lag from stage '{stage}': spread {s} with a typical lag of 0 days")
        out.append(Lag(t, s))
    return tuple(out)


def build_model(
    *,
    leads: int | LeadVolume,
    stages: Sequence[str],
    rates: Sequence[Any],
    deal_size: float | tuple[float, float] | DealSize,
    lags: Sequence[Any] | Mapping[str, Any] | None = None,
    quarter_days: float | None = None,
    lead_window_start: float = 0.0,
    carry_in: bool = False,
) -> FunnelModel:
    """Validate and normalise loose funnel inputs into a :class:`FunnelModel`.

    Parameters
    ----------
    leads : int or LeadVolume
        Leads entering the top stage: a fixed number, ``LeadVolume.poisson(mean)`` or
        ``LeadVolume.monthly(volumes, spread)``.
    stages : sequence of str
        Stage names, top to bottom (e.g. lead, mql, sal, sql, opportunity, won).
    rates : sequence
        One per transition (``len(stages) - 1``), from the top: a rate in (0, 1], or
        ``(converted, total)`` historical counts read as a Beta(1 + converted,
        1 + total - converted) posterior, drawn afresh in each trial. Objects with
        ``.converted/.total`` or a params ``RateSpec`` are accepted too.
    deal_size : float, (mean, spread) or DealSize
        A fixed amount, or a lognormal with this mean and standard deviation.
    lags : sequence or mapping, optional
        Days from entering each stage to entering the next, per transition (a mapping keyed
        by from-stage, or a sequence): ``(typical, spread)`` pairs, ``Lag`` objects, or
        objects with ``.typical/.spread``. Each lag is gamma with that mean and sd (spread 0
        = exactly ``typical`` days).
    quarter_days : float, optional
        Length of the quarter in days (default 91 when lags are given).
    lead_window_start : float
        Day, relative to the quarter's first day, the lead arrival window opens.
    carry_in : bool
        Steady state: count the neighbouring lead windows' deals that close inside the
        quarter (with lags only).

    Returns
    -------
    FunnelModel

    Raises
    ------
    InputError
        Naming the stage and the value, for rates outside (0, 1], counts with
        converted > total or negative, a stage list that does not match the rates, etc.
    """
    stages_t = tuple(str(s) for s in stages)
    if len(stages_t) < 2:
        raise InputError(f"stages: need at least two stages, got {list(stages_t)}")
    if len(set(stages_t)) != len(stages_t):
        raise InputError(f"stages: names repeat in {list(stages_t)}")
    rates_l = list(rates)
    if len(rates_l) != len(stages_t) - 1:
        raise InputError(
            f"rates: {len(rates_l)} rates for {len(stages_t)} stages; "
            f"need one per transition ({len(stages_t) - 1})"
        )
    parsed = tuple(Rate.parse(s, r) for s, r in zip(stages_t[:-1], rates_l, strict=True))
    lead_volume = parse_leads(leads)
    deal = _parse_deal_size(deal_size)
    try:
        start = float(lead_window_start)
    except (TypeError, ValueError):
        raise InputError(f"lead_window_start: {lead_window_start!r} is not a number") from None
    if not math.isfinite(start):
        raise InputError(f"lead_window_start: {lead_window_start!r} is not a number")
    lag_t = None if lags is None else _parse_lags(lags, stages_t)
    qd: float | None = None
    if quarter_days is not None:
        try:
            qd = float(quarter_days)
        except (TypeError, ValueError):
            raise InputError(f"quarter_days: {quarter_days!r} must be > 0") from None
    return FunnelModel(
        stages=stages_t,
        rates=parsed,
        leads=lead_volume,
        deal_size=deal,
        lags=lag_t,
        quarter_days=qd,
        lead_window_start=start,
        carry_in=bool(carry_in),
    )
