"""Workflow stage: Table 2/3 (mean and std over seeds, paper numbers beside)."""
import sys

from arc.reports.cli import add_table_arguments, run_table
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_table_arguments, run_table, __doc__))
