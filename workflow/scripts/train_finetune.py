"""Workflow stage: `arc train finetune` (see arc/training/stages/finetune.py)."""
import sys

from arc.training.cli import main_stage

sys.exit(main_stage("finetune"))
