"""Workflow stage: Fig. 3 (metrics vs rho)."""
import sys

from arc.reports.cli import add_fig_rho_arguments, run_fig_rho
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_fig_rho_arguments, run_fig_rho, __doc__))
