"""Numpydoc entries the verbs' shared helpers document alike (:func:`alignlib.docstrings.shared_doc`)."""

from __future__ import annotations

from alignlib.docstrings import shared_doc

#: The parser an ``add_*`` helper adds its options to.
PARSER = {"parser : argparse.ArgumentParser": "The verb's parser."}
#: The options a verb's command line was parsed into.
ARGS = {"args : argparse.Namespace": "The parsed options."}
#: The actuals a verb read.
INGEST = {"ingest : IngestResult": "The reading."}

#: An ``add_*`` helper that adds one option with the help text given.
ADD_OPTION = shared_doc(parameters={**PARSER, "help : str": "Its help text."})
