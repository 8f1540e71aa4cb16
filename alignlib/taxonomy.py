"""The shared funnel taxonomy: stage names, order, definitions and source mappings.

Both teams read the same definitions: reports print them beside every number.
A company defines its own ordered stages in the parameters file; these are the
defaults and the mapping from a CRM's own stage labels onto them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Owner = Literal["marketing", "sales"]


class Stage(BaseModel):
    """One stage of the funnel, as both teams agree to define it.

    Attributes
    ----------
    name : str
        Canonical lower-case name used in every table and parameter (``mql``).
    label : str
        How reports print it (``Marketing qualified lead``).
    owner : {"marketing", "sales"}
        The team accountable for moving contacts out of this stage.
    definition : str
        What the stage means, in one or two sentences.
    entry_criteria : str
        The test a contact must pass to enter the stage.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    owner: Owner
    definition: str = ""
    entry_criteria: str = ""


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(
        name="lead",
        label="Lead",
        owner="marketing",
        definition="A person who has identified themselves to us (form fill, event scan, "
        "inbound call) and matches our target market.",
        entry_criteria="Valid business email and company; not a competitor, student or existing customer.",
    ),
    Stage(
        name="mql",
        label="Marketing qualified lead",
        owner="marketing",
        definition="A lead whose fit and engagement make a sales conversation worth having now.",
        entry_criteria="Lead score of 60 or more (fit + engagement), or a demo or pricing request.",
    ),
    Stage(
        name="sal",
        label="Sales accepted lead",
        owner="sales",
        definition="An MQL that sales has reviewed and agreed to work; the hand-off is complete.",
        entry_criteria="An SDR accepts the lead within the SLA and makes a first contact attempt; "
        "rejected leads go back to nurture with a reason.",
    ),
    Stage(
        name="sql",
        label="Sales qualified lead",
        owner="sales",
        definition="An accepted lead with a confirmed need, budget range and buying timeline.",
        entry_criteria="Discovery call held; BANT-style qualification recorded in the CRM.",
    ),
    Stage(
        name="opportunity",
        label="Opportunity",
        owner="sales",
        definition="A qualified buying process with an amount and an expected close date: pipeline.",
        entry_criteria="Opportunity record created with amount, close date and next step.",
    ),
    Stage(
        name="won",
        label="Closed won",
        owner="sales",
        definition="A signed contract: bookings.",
        entry_criteria="Order form countersigned; amount booked.",
    ),
)

DEFAULT_STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in DEFAULT_STAGES)

#: HubSpot lifecycle-stage display labels -> canonical stage (None: outside the funnel).
#: HubSpot has no SAL stage by default; a company that tracks one maps its own
#: property in ``actuals.stage_mapping``.
HUBSPOT_STAGE_MAPPING: dict[str, str | None] = {
    "Subscriber": None,
    "Lead": "lead",
    "Marketing Qualified Lead": "mql",
    "Sales Qualified Lead": "sql",
    "Opportunity": "opportunity",
    "Customer": "won",
    "Evangelist": None,
    "Other": None,
}
