"""Workflow stage: Fig. 4/11 (per-sample RMS-log gain)."""
import sys

from arc.reports.cli import add_fig_per_sample_arguments, run_fig_per_sample
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_fig_per_sample_arguments, run_fig_per_sample, __doc__))
