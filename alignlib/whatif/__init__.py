"""What if? Re-plan the quarter with levers moved, see the odds, keep a finding as a scenario.

* :mod:`.core`: :func:`whatif` (one re-plan) and :func:`whatif_table` (each input moved
  by 10%, the rendered reports' static table);
* :mod:`.engine`: :class:`Levers` and :class:`WhatIfEngine` (the base state is the
  report's own simulation; moves run on common random numbers);
* :mod:`.panel`: :func:`whatif_panel`, the ipywidgets panel (also served by ``make whatif``);
* :mod:`.static`: its HTML form for pages without a kernel;
* :mod:`.scenario`: :func:`save_scenario` writes ``scenarios.<name>`` into the params file.
"""

from __future__ import annotations

from alignlib.whatif.core import base_cost_per_lead, whatif, whatif_table
from alignlib.whatif.engine import Levers, Outcome, WhatIfEngine
from alignlib.whatif.panel import WhatIfPanel, whatif_panel
from alignlib.whatif.scenario import overrides_from_levers, save_scenario
from alignlib.whatif.static import StaticPanel

__all__ = [
    "Levers",
    "Outcome",
    "StaticPanel",
    "WhatIfEngine",
    "WhatIfPanel",
    "base_cost_per_lead",
    "overrides_from_levers",
    "save_scenario",
    "whatif",
    "whatif_panel",
    "whatif_table",
]
