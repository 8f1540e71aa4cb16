"""Shared cases and fixture paths for the experiments tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "experiments"
EXPORT = FIXTURES / "routing_export.csv"

# (control, variant): ordinary, small, lopsided, one zero, big, near-certain.
CASES = [
    ((200, 1000), (240, 1000)),
    ((3, 10), (7, 12)),
    ((1, 5000), (9, 80)),
    ((12, 40), (2, 300)),
    ((0, 20), (5, 20)),
    ((45, 50), (50, 50)),
    ((4120, 10200), (4680, 10050)),
    ((200_000, 1_000_000), (201_000, 1_000_000)),
]
