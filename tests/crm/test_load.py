"""Loading what a parameters file's actuals section points at."""

from __future__ import annotations

from alignlib import crm


def test_load_actuals_from_default_params():
    from alignlib.params import load_params
    from alignlib.paths import DEFAULT_PARAMS

    p = load_params(DEFAULT_PARAMS)
    r = crm.load_actuals(p)
    assert r.format == "hubspot" and r.rows_read > 40_000
    assert r.rejected < 200 and r.rows_read == r.accepted + r.rejected
    reached = r.reached()
    assert list(reached) == list(p.stage_names)
    assert all(a >= b for a, b in zip(reached.values(), list(reached.values())[1:], strict=False))
