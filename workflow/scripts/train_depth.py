"""Workflow stage: `arc train depth` (see arc/training/stages/depth.py)."""
import sys
from functools import partial

from arc.training.cli import build_stage_parser, run_stage
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(partial(build_stage_parser, "depth"), partial(run_stage, "depth"), __doc__))
