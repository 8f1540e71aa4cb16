"""The live what-if panel (ipywidgets): levers grouped in tabs, figures, the bookings histogram.

Built on :class:`~alignlib.whatif.engine.WhatIfEngine`: the base state is the report's own
simulation, and a move re-runs the quarter on common random numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignlib.docstrings import PARAMS_DOC
from alignlib.format import stage_label
from alignlib.whatif.engine import Levers, Outcome, WhatIfEngine

if TYPE_CHECKING:
    from alignlib.params import QuarterParams
    from alignlib.simulation import SimulationResult

_WIDE = "600px"
_LABEL = {"description_width": "240px"}


def _slider(
    value: float, low: float, high: float, step: float, description: str, readout: str
) -> Any:
    """One lever: an integer slider for a ``d`` readout, else a float one; all alike in look.

    Parameters
    ----------
    value, low, high, step : float
        Where it starts, its range and its step.
    description : str
        Its label.
    readout : str
        Format of the value shown (``.1%``, ``,.0f``, ``,d``, ``d``).

    Returns
    -------
    ipywidgets.IntSlider or ipywidgets.FloatSlider
    """
    import ipywidgets as w

    kind = w.IntSlider if readout.endswith("d") else w.FloatSlider
    return kind(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        readout_format=readout,
        style=_LABEL,
        layout=w.Layout(width=_WIDE),
        continuous_update=False,
    )


class WhatIfPanel:
    """The widgets and their wiring; ``panel.widget`` is what a notebook displays.

    Parameters
    ----------
    engine : WhatIfEngine
        The base quarter (trials and seed as the report's).
    params_path : str or Path, optional
        The parameters file "Save as scenario" writes into (none: the save box is hidden).
    """

    def __init__(self, engine: WhatIfEngine, params_path: str | Path | None = None) -> None:
        import ipywidgets as w

        self.engine = engine
        self.params_path = None if params_path is None else Path(params_path)
        p = engine.params
        base = engine.base

        def money_slider(description: str, value: float) -> Any:
            return _slider(value, value * 0.5, value * 1.5, value / 200, description, ",.0f")

        self.target = money_slider(f"Bookings target ({p.currency})", base.target)
        self.deal = money_slider(f"Average deal size ({p.currency})", base.deal_size)
        n = engine.base_leads
        self.leads = _slider(
            round(n),
            max(1, round(n * 0.3)),
            round(n * 2),
            max(1, round(n / 500)),
            "Leads the quarter gets",
            ",d",
        )
        self.follow = w.Checkbox(
            value=True,
            description="Leads follow the plan (untick, or move the leads slider, to give them)",
            indent=False,
            layout=w.Layout(width=_WIDE),
        )
        names = p.stage_names
        moves = [
            f"{stage_label_of(p, a)} → {stage_label_of(p, b)}"
            for a, b in zip(names[:-1], names[1:], strict=True)
        ]
        self.rates = [
            _slider(rate, 0.005, 1.0, 0.001, move, ".1%")
            for move, rate in zip(moves, base.rates, strict=True)
        ]
        self.lags = [
            _slider(lag, 0.0, max(lag * 3, 10.0), 0.5, f"{move} (days)", ".1f")
            for move, lag in zip(moves, base.lags, strict=True)
        ]
        self.shares = [
            _slider(share, 0.0, 1.0, 0.01, p.channels[c].label or stage_label(c), ".0%")
            for c, share in zip(list(p.channels), base.shares, strict=True)
        ]
        self.sla = (
            None
            if base.sla_hours is None
            else _slider(
                base.sla_hours,
                0.5,
                max(base.sla_hours * 4, 24.0),
                0.5,
                "Lead response SLA (hours)",
                ".1f",
            )
        )
        self.team: list[Any] = []
        # the team's sliders (None without a sales team whose attainment is known)
        self.reps: Any = None
        self.attainment: Any = None
        self.ramp_months: Any = None
        self.new_hires: Any = None
        self.hires: list[Any] = []
        team = p.sales_team
        if base.reps is not None and team is not None:

            def int_slider(description: str, value: int, top: int) -> Any:
                return _slider(value, 0, top, 1, description, "d")

            self.reps = int_slider("Ramped reps today", base.reps, max(2 * base.reps, 10))
            self.attainment = _slider(
                float(base.attainment or 0),
                0.05,
                max(1.5, float(base.attainment or 0) * 1.5),
                0.01,
                "Attainment (share of quota)",
                ".0%",
            )
            self.ramp_months = int_slider("Months to ramp a new hire", base.ramp_months or 0, 12)
            self.hires = [
                int_slider(f"Hires starting {h.start:%d %b %Y}", h.count, max(3 * h.count, 10))
                for h in team.hires
            ]
            self.new_hires = int_slider(
                f"More hires starting {p.quarter_start:%d %b %Y}", 0, max(base.reps, 10)
            )
            self.team = [self.reps, self.attainment, self.ramp_months, *self.hires, self.new_hires]
        self.reset_button = w.Button(
            description="Reset to the plan", icon="undo", layout=w.Layout(width="180px")
        )
        self.status = w.HTML()
        self.result = w.HTML()
        self.save_name = w.Text(
            description="Scenario name", style=_LABEL, layout=w.Layout(width=_WIDE)
        )
        self.save_description = w.Text(
            description="Description", style=_LABEL, layout=w.Layout(width=_WIDE)
        )
        self.save_button = w.Button(
            description="Save as scenario", icon="save", layout=w.Layout(width="180px")
        )
        self.save_status = w.HTML()
        self._quiet = False

        tabs: list[tuple[str, list[Any]]] = [
            ("Target and deals", [self.target, self.deal, self.leads, self.follow]),
            ("Funnel rates", list(self.rates)),
        ]
        if self.lags:
            tabs.append(("Lags", list(self.lags)))
        if self.shares:
            note = w.HTML(
                "<small>Shares are normalised to add up to 100%; each channel converts at "
                "its own rates, so the mix moves the leads the target needs.</small>"
            )
            tabs.append(("Channels", [*self.shares, note]))
        if self.sla is not None:
            note = w.HTML(
                "<small>The response SLA does not change the odds here; it is saved with the "
                "scenario, whose plan checks sales capacity against it.</small>"
            )
            tabs.append(("SLA", [self.sla, note]))
        if self.team:
            note = w.HTML(
                "<small>The team does not change the odds (they are the demand plan's); it "
                "changes the bookings the team can carry this quarter, and the gap. The "
                "file's ramp is kept at its own length; another length ramps evenly.</small>"
            )
            tabs.append(("Sales team", [*self.team, note]))
        self.tabs = w.Tab(children=[w.VBox(children) for _, children in tabs])
        for i, (title, _) in enumerate(tabs):
            self.tabs.set_title(i, title)
        save_children: list[Any] = [self.save_name, self.save_description]
        save_children += [self.save_button, self.save_status]
        self.save_box = w.VBox(save_children)
        if self.params_path is None:
            self.save_box.layout.display = "none"
        self.widget = w.VBox(
            [
                w.HTML(
                    "<b>Move a lever: the plan, the budget and the chance of hitting the "
                    "target update.</b> Moving the leads slider gives the quarter those "
                    "leads; tick 'Leads follow the plan' to plan them again."
                ),
                self.tabs,
                w.HBox([self.reset_button, self.status]),
                self.result,
                self.save_box,
            ],
            layout=w.Layout(max_width="980px"),
        )
        for slider in [self.target, self.deal, *self.rates, *self.lags, *self.shares]:
            slider.observe(self._changed, "value")
        if self.sla is not None:
            self.sla.observe(self._changed, "value")
        for slider in self.team:
            slider.observe(self._changed, "value")
        self.leads.observe(self._leads_moved, "value")
        self.follow.observe(self._changed, "value")
        self.reset_button.on_click(lambda _b: self.reset())
        self.save_button.on_click(lambda _b: self.save())
        self.outcome: Outcome = engine.evaluate(engine.base)
        self._show(self.outcome)

    # -- state ----------------------------------------------------------------------------

    def levers(self) -> Levers:
        """The levers as the widgets show them.

        Returns
        -------
        Levers
        """
        return Levers(
            target=float(self.target.value),
            deal_size=float(self.deal.value),
            rates=tuple(float(s.value) for s in self.rates),
            lags=tuple(float(s.value) for s in self.lags),
            shares=tuple(float(s.value) for s in self.shares),
            leads=None if self.follow.value else float(self.leads.value),
            sla_hours=None if self.sla is None else float(self.sla.value),
            **self._team_levers(),
        )

    def _team_levers(self) -> dict[str, Any]:
        """The team sliders' values as :class:`Levers` fields (none without a team)."""
        if not self.team:
            return {}
        return {
            "reps": int(self.reps.value),
            "attainment": float(self.attainment.value),
            "ramp_months": int(self.ramp_months.value),
            "hires": tuple(int(s.value) for s in self.hires),
            "new_hires": int(self.new_hires.value),
        }

    def _leads_moved(self, _change: Any = None) -> None:
        if self._quiet:
            return
        if self.follow.value:
            # a move of the leads slider means "given these leads": say so, do not undo it
            self._quiet = True
            self.follow.value = False
            self._quiet = False
        self.refresh()

    def _changed(self, _change: Any = None) -> None:
        if not self._quiet:
            self.refresh()

    def refresh(self) -> Outcome:
        """Recompute and redraw from the widgets' values.

        Returns
        -------
        Outcome
        """
        from alignlib.whatif.static import outcome_html

        try:
            outcome = self.engine.evaluate(self.levers())
        except Exception as exc:  # a lever out of range: say so, keep the panel alive
            import html

            self.status.value = f'<span style="color:#c53030;">{html.escape(str(exc))}</span>'
            return self.outcome
        self.outcome = outcome
        if not outcome.leads_given and round(outcome.leads) != self.leads.value:
            self._quiet = True
            self.leads.max = max(self.leads.max, round(outcome.leads))
            self.leads.value = round(outcome.leads)
            self._quiet = False
        self.status.value = ""
        self.result.value = outcome_html(outcome, self.engine.params)
        return outcome

    def _show(self, outcome: Outcome) -> None:
        from alignlib.whatif.static import outcome_html

        self.result.value = outcome_html(outcome, self.engine.params)

    def reset(self) -> Outcome:
        """Every lever back to the parameters' value, leads following the plan.

        Returns
        -------
        Outcome
        """
        base = self.engine.base
        self._quiet = True
        self.target.value, self.deal.value = base.target, base.deal_size
        for s, v in zip(self.rates, base.rates, strict=True):
            s.value = v
        for s, v in zip(self.lags, base.lags, strict=True):
            s.value = v
        for s, v in zip(self.shares, base.shares, strict=True):
            s.value = v
        if self.sla is not None and base.sla_hours is not None:
            self.sla.value = base.sla_hours
        if self.team:
            self.reps.value, self.attainment.value = base.reps, base.attainment
            self.ramp_months.value, self.new_hires.value = base.ramp_months, 0
            for s, v in zip(self.hires, base.hires, strict=True):
                s.value = v
        self.follow.value = True
        self._quiet = False
        return self.refresh()

    def save(self) -> dict[str, Any] | None:
        """Write the moved levers as a scenario into the parameters file.

        Returns
        -------
        dict or None
            The overrides written (None when nothing was written; the reason is shown).
        """
        import html

        from alignlib.whatif.scenario import overrides_from_levers, save_scenario

        if self.params_path is None:
            return None
        name = self.save_name.value.strip()
        try:
            overrides, skipped = overrides_from_levers(self.engine.params, self.levers())
            save_scenario(
                self.params_path, name, overrides, description=self.save_description.value
            )
        except Exception as exc:
            self.save_status.value = (
                f'<span style="color:#c53030;">Not saved: {html.escape(str(exc))}</span>'
            )
            return None
        note = f" ({html.escape(skipped)})" if skipped else ""
        self.save_status.value = (
            f'<span style="color:#2f855a;">Saved scenario <code>{html.escape(name)}</code> in '
            f"{html.escape(self.params_path.name)}{note}: <code>alignlib plan --scenario "
            f"{html.escape(name)}</code> and the next <code>alignlib run</code> show it.</span>"
        )
        return overrides


@PARAMS_DOC
def stage_label_of(params: QuarterParams, name: str) -> str:
    """A stage's label from the params (its name prettified when it has none).

    Parameters
    ----------
    name : str
        Stage name.

    Returns
    -------
    str
    """
    return params.stage_labels.get(name) or stage_label(name)


def whatif_panel(
    params: QuarterParams,
    *,
    trials: int | None = None,
    seed: int | None = None,
    base_result: SimulationResult | None = None,
    params_path: str | Path | None = None,
    table_html: str = "",
    live: bool = True,
) -> Any:
    """The live what-if panel, displayable anywhere (its static HTML where no kernel runs).

    Parameters
    ----------
    params : QuarterParams
        The base parameters.
    trials, seed : int, optional
        As the report's simulation (default the params'), so the base state shows exactly
        the report's headline P(hit).
    base_result : SimulationResult, optional
        The report's simulation of the base (not run again).
    params_path : str or Path, optional
        Where "Save as scenario" writes (default ``params.source_path``).
    table_html : str
        Extra HTML for the static form (the one-at-a-time table).
    live : bool
        False: only the static form (the batch's rendered reports), no widgets.

    Returns
    -------
    StaticPanel or IPython.display.HTML
        Display it: JupyterLab and Voilà show the widget (``.widget``; the
        :class:`WhatIfPanel` is ``.panel``), pages without a kernel the HTML.
    """
    from alignlib.whatif.static import StaticPanel, static_html

    engine = WhatIfEngine(params, trials=trials, seed=seed, base_result=base_result)
    if not live:
        from IPython.display import HTML

        return HTML(static_html(engine, table_html))
    if params_path is None:
        params_path = params.source_path
    if params.scenario_name is not None:
        params_path = None  # a scenario's levers are not the file's base: no save
    panel = WhatIfPanel(engine, params_path)
    return StaticPanel(panel.widget, static_html(engine, table_html), panel=panel)
