"""Workflow stage: `arc train joint` (see arc/training/stages/joint.py)."""
import sys
from functools import partial

from arc.training.cli import build_stage_parser, run_stage
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(partial(build_stage_parser, "joint"), partial(run_stage, "joint"), __doc__))
