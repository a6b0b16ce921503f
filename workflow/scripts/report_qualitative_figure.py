"""Workflow stage: Fig. 5 (qualitative grid)."""
import sys

from arc.reports.cli import add_fig_qualitative_arguments, run_fig_qualitative
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_fig_qualitative_arguments, run_fig_qualitative, __doc__))
