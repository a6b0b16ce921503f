"""Workflow stage: `arc train finetune` (see arc/training/stages/finetune.py)."""
import sys
from functools import partial

from arc.training.cli import build_stage_parser, run_stage
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(partial(build_stage_parser, "finetune"), partial(run_stage, "finetune"), __doc__))
