"""Workflow stage: `arc train inpainting` (see arc/training/stages/inpainting.py)."""
import sys
from functools import partial

from arc.training.cli import build_stage_parser, run_stage
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(partial(build_stage_parser, "inpainting"), partial(run_stage, "inpainting"), __doc__))
