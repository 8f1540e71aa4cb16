"""Quarter parameters: the YAML schema, loading and validation.

A parameters file is the workbook's main interface: one per quarter (and per
segment or region), validated once at load time. Every problem is reported
with the file, the key path, the line and what is wrong (:class:`ParamsError`);
nothing downstream re-checks what is validated here.

One concept per module:

- :mod:`~alignlib.params.schema`: the typed models (:class:`QuarterParams` and its parts);
- :mod:`~alignlib.params.checks`: checks that span fields (stage references, shares);
- :mod:`~alignlib.params.yaml_source`: the strict YAML reader (duplicate keys, control
  characters, the line of every key);
- :mod:`~alignlib.params.problems`: problem lists (capping, key paths with their lines);
- :mod:`~alignlib.params.validate`: a raw mapping to :class:`QuarterParams`, or the problems;
- :mod:`~alignlib.params.learned`: sections left to the actuals and learned from them;
- :mod:`~alignlib.params.load`: :func:`load_params` (``extends:``, relative paths, scenarios).
"""

from alignlib.errors import ParamsError, Problem
from alignlib.params.checks import RESERVED_STAGE_NAMES, SHARE_TOLERANCE, shares_sum_to_one
from alignlib.params.learned import FROM_ACTUALS, LEARNABLE
from alignlib.params.load import load_params
from alignlib.params.problems import MAX_LISTED_PROBLEMS
from alignlib.params.schema import (
    SLA,
    Actuals,
    ArmCounts,
    Capacity,
    Channel,
    DateFormat,
    Deals,
    DealSize,
    ExperimentSpec,
    Hire,
    Lag,
    Pipeline,
    QuarterParams,
    RateInput,
    RateSpec,
    Recycling,
    SalesTeam,
    Scenario,
    Scorecard,
    Simulation,
    SourceFormat,
    SQLSource,
    Target,
    VolumeSpread,
)
from alignlib.params.yaml_source import printable_key
from alignlib.taxonomy import DEFAULT_STAGES, Stage

__all__ = [
    "DEFAULT_STAGES",
    "FROM_ACTUALS",
    "LEARNABLE",
    "MAX_LISTED_PROBLEMS",
    "RESERVED_STAGE_NAMES",
    "SHARE_TOLERANCE",
    "SLA",
    "Actuals",
    "ArmCounts",
    "Capacity",
    "Channel",
    "DateFormat",
    "DealSize",
    "Deals",
    "ExperimentSpec",
    "Hire",
    "Lag",
    "ParamsError",
    "Pipeline",
    "Problem",
    "QuarterParams",
    "RateInput",
    "RateSpec",
    "Recycling",
    "SQLSource",
    "SalesTeam",
    "Scenario",
    "Scorecard",
    "Simulation",
    "SourceFormat",
    "Stage",
    "Target",
    "VolumeSpread",
    "load_params",
    "printable_key",
    "shares_sum_to_one",
]
