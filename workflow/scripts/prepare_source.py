"""Workflow stage: generate SynthRooms, or sample the real datasets' split lists (paper sampling)."""
import sys

from arc.config import load_params
from arc.data.benchmarks import prepare_source
from arc.utils.entrypoint import run_cli


def add_arguments(parser):
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--benchmark", required=True, help="must equal params 'benchmark' (names the output folder)")
    parser.add_argument("--out", required=True, help="data/source/<benchmark>")


def run(args):
    params = load_params(args.params)
    if args.benchmark != params["benchmark"]:
        from arc.errors import ConfigError
        raise ConfigError(f"--benchmark {args.benchmark} differs from {args.params} 'benchmark' = {params['benchmark']}")
    from arc.preflight import data_job_problems

    problems = data_job_problems(params)  # missing VGG weights or too little disk fail here, before any training
    if problems:
        from arc.errors import DataError
        raise DataError("\n".join(problems))
    prepare_source(params, args.out)


sys.exit(run_cli(add_arguments, run, __doc__))
