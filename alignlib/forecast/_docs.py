"""Numpydoc entries that families of forecast functions share (:func:`~alignlib.docstrings.shared_doc`).

The tests of a history (drift, stationarity, the forecast's uncertainty) read the table as
it stood on a day; the simulations draw their trials from one random source.
"""

from __future__ import annotations

from alignlib.docstrings import shared_doc

#: The table as it stood on a day, and its funnel: what a history's tests read.
SNAPSHOT_PARAMETERS = {
    "table : pandas.DataFrame": "Normalised CRM table as it stood at ``as_of``.",
    "as_of : Timestamp or str": "When it was taken.",
    "stage_names : sequence of str": "The funnel.",
}

#: The shared Parameters of a test of the table as it stood at ``as_of``.
snapshot_doc = shared_doc(parameters=SNAPSHOT_PARAMETERS)

#: The same, with the maturity threshold of the history learned from the table.
matured_snapshot_doc = shared_doc(
    parameters={
        **SNAPSHOT_PARAMETERS,
        "maturity_days : float": "The history's maturity threshold.",
    }
)

#: The shared Parameters of a draw of ``trials`` values from a random source.
draws_doc = shared_doc(
    parameters={
        "trials : int": "Number of trials.",
        "rng : numpy.random.Generator": "Random source.",
    }
)
