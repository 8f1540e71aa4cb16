"""Sample-ratio mismatch: whether leads were assigned to the arms in the planned shares.

Chi-square goodness of fit (``scipy.stats.chisquare``), flagged at p < 0.001.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from alignlib import format as fmt
from alignlib.errors import InputError

#: p-value below which a sample-ratio mismatch is flagged.
SRM_THRESHOLD: float = 0.001

METHOD_SRM = "chi-square goodness of fit of assigned counts to expected shares"


@dataclass(frozen=True)
class SrmCheck:
    """Sample-ratio mismatch check: whether leads were assigned in the planned shares.

    Attributes
    ----------
    arms : tuple of str
    observed : tuple of int
    expected_shares : tuple of float
    expected_counts : tuple of float
    chi2 : float
    p_value : float
    flag : bool
        p_value < 0.001: the assignment is broken, the readout cannot be trusted.
    message : str
    method : str
    """

    arms: tuple[str, ...]
    observed: tuple[int, ...]
    expected_shares: tuple[float, ...]
    expected_counts: tuple[float, ...]
    chi2: float
    p_value: float
    flag: bool
    message: str
    method: str = METHOD_SRM

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        d = asdict(self)
        for k in ("arms", "observed", "expected_shares", "expected_counts"):
            d[k] = list(d[k])
        return d


def srm_check(
    assigned_counts: Sequence[int],
    expected: Sequence[float] | None = None,
    *,
    arms: Sequence[str] | None = None,
    threshold: float = SRM_THRESHOLD,
) -> SrmCheck:
    """Chi-square test that leads were assigned to arms in the planned shares.

    Parameters
    ----------
    assigned_counts : sequence of int
        Leads assigned per arm (control first).
    expected : sequence of float, optional
        Planned shares, summing to 1; default equal.
    arms : sequence of str, optional
        Arm names for the message.
    threshold : float
        p-value below which the mismatch is flagged (0.001).

    Returns
    -------
    SrmCheck
    """
    counts = list(assigned_counts)
    if len(counts) < 2:
        raise InputError("srm_check needs the assigned counts of at least two arms")
    for c in counts:
        if isinstance(c, bool) or not float(c).is_integer() or c < 0:
            raise InputError(f"assigned counts must be whole numbers >= 0, got {counts}")
    counts = [int(c) for c in counts]
    total = sum(counts)
    if total == 0:
        raise InputError("srm_check: no leads assigned to any arm")
    shares = [1 / len(counts)] * len(counts) if expected is None else [float(s) for s in expected]
    if len(shares) != len(counts):
        raise InputError(
            f"expected shares has {len(shares)} entries for {len(counts)} arms (control first)"
        )
    if any(s <= 0 for s in shares):
        raise InputError(f"expected shares must be positive, got {shares}")
    if abs(sum(shares) - 1) > 1e-6:
        raise InputError(f"expected shares must sum to 1, they sum to {sum(shares):g}")
    names = tuple(arms) if arms is not None else tuple(f"arm {i}" for i in range(len(counts)))
    if len(names) != len(counts):
        raise InputError(f"{len(names)} arm names for {len(counts)} counts")
    exp_counts = [s * total for s in shares]
    res = stats.chisquare(counts, exp_counts)
    p = float(res.pvalue)
    flag = p < threshold
    observed_text = ", ".join(
        f"{fmt.readable_id(n)} {c:,} ({c / total:.1%} vs {s:.1%} planned)"
        for n, c, s in zip(names, counts, shares, strict=True)
    )
    if flag:
        message = (
            f"SAMPLE-RATIO MISMATCH (p={fmt.p_value(p)}): {observed_text}. Leads were not assigned "
            "as planned, so the arms are not comparable and this readout cannot be trusted. "
            "Fix the assignment before reading the result."
        )
    else:
        message = f"Assignment matches the planned shares (p={fmt.p_value(p)}): {observed_text}."
    return SrmCheck(
        arms=names,
        observed=tuple(counts),
        expected_shares=tuple(shares),
        expected_counts=tuple(exp_counts),
        chi2=float(res.statistic),
        p_value=p,
        flag=flag,
        message=message,
    )
