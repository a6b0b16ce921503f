"""Workflow stage: `arc train attention` (see arc/training/stages/attention.py)."""
import sys

from arc.training.cli import main_stage

sys.exit(main_stage("attention"))
