"""Workflow stage: the premise sweep (one level's nested DAG and summary, or the sweep's CSV and figure)."""
import sys

from arc.reports.premise_sweep import add_arguments, run
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_arguments, run, __doc__))
