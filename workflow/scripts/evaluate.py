"""Workflow stage: run a checkpoint over the test split and write its results folder (`arc predict`)."""
import sys

from arc.evaluation.cli import add_predict_arguments, run_predict
from arc.utils.entrypoint import run_cli

sys.exit(run_cli(add_predict_arguments, run_predict, __doc__))
