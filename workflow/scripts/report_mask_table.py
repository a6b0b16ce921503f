"""Workflow stage: Table 4 (ARC vs mix inside/outside the mask)."""
import sys

from arc.reports.cli import add_table4_arguments, run_table4
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_table4_arguments, run_table4, __doc__))
