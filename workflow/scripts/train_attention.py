"""Workflow stage: `arc train attention` (see arc/training/stages/attention.py)."""
import sys
from functools import partial

from arc.training.cli import build_stage_parser, run_stage
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(partial(build_stage_parser, "attention"), partial(run_stage, "attention"), __doc__))
