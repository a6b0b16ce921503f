"""Workflow stage: `arc train translator` (see arc/training/stages/translator.py)."""
import sys

from arc.training.cli import main_stage

sys.exit(main_stage("translator"))
