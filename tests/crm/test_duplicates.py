"""Repeated ids: the sort-based check equals pandas' duplicated."""

from __future__ import annotations

import pandas as pd

from alignlib.crm.duplicates import repeated


def test_repeated_ids_match_pandas_duplicated():
    import numpy as np

    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 5, 1000):
        ids = pd.Series(rng.integers(0, max(size // 2, 1), size).astype(str), dtype="str")
        ids.iloc[: size // 10] = ""
        assert (repeated(ids) == ids.duplicated(keep=False).to_numpy()).all()
    with_missing = pd.Series(["a", None, "b", None, "a"], dtype="str")
    assert repeated(with_missing).tolist() == [True, True, False, True, True]
