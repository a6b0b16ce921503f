"""Workflow stage: `arc train inpainting` (see arc/training/stages/inpainting.py)."""
import sys

from arc.training.cli import main_stage

sys.exit(main_stage("inpainting"))
