"""Workflow stage: `arc train depth` (see arc/training/stages/depth.py)."""
import sys

from arc.training.cli import main_stage

sys.exit(main_stage("depth"))
