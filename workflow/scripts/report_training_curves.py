"""Workflow stage: training curves (loss and validation metric per epoch, every stage and seed)."""
import sys

from arc.reports.cli import add_training_curves_arguments, run_training_curves
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_training_curves_arguments, run_training_curves, __doc__))
