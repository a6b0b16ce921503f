"""Workflow stage: the premise report (a fixed D's error on counterfactual real_val inputs)."""
import sys

from arc.reports.cli import add_premise_report_arguments, run_premise_report
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_premise_report_arguments, run_premise_report, __doc__))
