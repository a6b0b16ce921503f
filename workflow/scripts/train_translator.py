"""Workflow stage: `arc train translator` (see arc/training/stages/translator.py)."""
import sys
from functools import partial

from arc.training.cli import build_stage_parser, run_stage
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(partial(build_stage_parser, "translator"), partial(run_stage, "translator"), __doc__))
