"""Workflow stage: decode every split once into data/cache/<benchmark>/<split>/ (npy + manifest)."""
import sys

from arc.config import load_params
from arc.data.benchmarks import build_benchmark_cache
from arc.utils.entrypoint import run_cli


def add_arguments(parser):
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--source", required=True, help="data/source/<benchmark> (prepare_source output)")
    parser.add_argument("--out", required=True, help="data/cache/<benchmark>")


sys.exit(run_cli(add_arguments, lambda args: build_benchmark_cache(load_params(args.params), args.source, args.out), __doc__))
