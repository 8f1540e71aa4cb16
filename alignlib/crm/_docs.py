"""Numpydoc entries the CRM modules share (:func:`alignlib.docstrings.shared_doc`).

Each is a ``{"name : type": "description"}`` mapping, written once here for every
function of the package that takes that argument.
"""

from __future__ import annotations

from alignlib.docstrings import shared_doc

#: An ingest's outcome, as the summaries and checks of :mod:`alignlib.crm.summary` take it.
RESULT = {"result : IngestResult": "What a loader read."}

#: The funnel's stages.
STAGE_NAMES = {"stage_names : sequence of str": "The company's stages, top to bottom."}

#: A column of text, before it is parsed.
TEXT_VALUES = {"values : pandas.Series": "Text column."}

#: A file's header, as read.
HEADER_NAMES = {"names : sequence": "The header's names."}

#: A cell as a problem's message may quote it: readable values as written, anything else withheld.
SHOWN_CELL = shared_doc(
    parameters={"value : object": "The cell."},
    returns={"str": "The value, or ``(not shown)`` when it could be anything else (a name)."},
)
