# Shared names and helpers for the rules. Paths follow docs/ARCHITECTURE.md.
import glob
import re

from arc.settings import setting
from arc.stage_table import rho_tag
from arc.reports.paper import is_embedded_benchmark
from arc.reports.premise_report import premise_settings
from arc.dag import evaluated_methods, evaluation_jobs, jobs_by_rule, results_dir, row_method, runs_dir, training_jobs
from arc.stage_table import CODE_DATA as STAGE_TABLE_CODE_DATA, CODE_REPORT as STAGE_TABLE_CODE_REPORT
from arc.stage_table import SWEPT_ROW as STAGE_TABLE_SWEPT_ROW
from arc.stage_table import (BUILD_CACHE_SETTINGS, PREMISE_REPORT_SETTINGS, PREPARE_SOURCE_SETTINGS, REPORT_SETTINGS,
                             RHO_FIGURE_SETTINGS, TRAINING_CURVES_SETTINGS)

# `config` is the validated reading of params.yaml (+ params.local.yaml): see the Snakefile.

B = config["benchmark"]
SEEDS = config["seeds"]
RHO = config["rho"]
SWEEP = config["rho_sweep"]
RHO_TAG = rho_tag(RHO)
ROWS = config["rows"]
REPORT = config["reports"]
# Protocols every evaluation also scores (evaluation.also_protocols), each with its own main table.
ALSO_PROTOCOLS = config["evaluation"].get("also_protocols") or []
RUNTIME = config["runtime"]
THREADS = RUNTIME["num_threads"]
# A job requests a GPU when and only when it runs on one: the training and evaluation jobs, unless
# runtime.device is cpu; the data and report jobs never (they run on the CPU).
GPUS = setting(config, "runtime.gpus_per_job") if setting(config, "runtime.device") != "cpu" else 0
MEM_TRAIN = setting(config, "runtime.mem_mb_per_job")
ORACLE_ROWS = is_embedded_benchmark(B)

# The training and evaluation jobs, each once (arc.dag, from the stage table arc/stage_table.py);
# dvc.yaml takes the same jobs (workflow/make_dvc_yaml.py).
TRAIN_JOBS = jobs_by_rule(training_jobs(config))
EVAL_JOBS = evaluation_jobs(config, ORACLE_ROWS)
METHODS = evaluated_methods(config, ORACLE_ROWS)
BASELINE_ROWS = [r for r, spec in ROWS.items() if spec["stages"] == ["depth"]]
SWEPT_ROW = STAGE_TABLE_SWEPT_ROW
TABLE_METHODS = [m for m, (row, rho) in METHODS.items() if rho == RHO or "A" not in ROWS[row]["modules"]]
SWEEP_METHODS = [row_method(config, SWEPT_ROW, r) for r in SWEEP]


wildcard_constraints:
    seed=r"\d+",


def sources(*paths):
    """The arc/ source files a job runs (declared as inputs so code changes rerun it)."""
    files = []
    for p in paths:
        files += sorted(glob.glob(f"{p}/**/*.py", recursive=True)) if "." not in p.rsplit("/", 1)[-1] else [p]
    return files


CODE_DATA = sources(*STAGE_TABLE_CODE_DATA)
CODE_REPORT = sources(*STAGE_TABLE_CODE_REPORT)


def settings(*keys):
    """The params a rule reads (so a change of exactly these reruns it)."""
    out = {}
    for key in keys:
        node = config
        for part in key.split("."):
            node = node[part]
        out[key] = node
    return out


def ckpt(seed, name):
    """The run folder of a stage (a directory output); its selected model is <folder>/checkpoint.pt."""
    return f"{runs_dir(config, seed)}/{name}"


def result(seed, method):
    return f"{results_dir(config, seed)}/{method}"


def report_path(name, ext):
    return f"reports/{REPORT.get(name, name)}.{ext}"  # optional names (premise) default to the key


# The premise report (SynthRooms only: it needs the clutter mask and the clutter-free twins).
PREMISE_REPORT = [report_path("premise", "csv")] if ORACLE_ROWS else []

ALL_REPORTS = [
    report_path("table", "csv"),
    report_path("table", "md"),
    report_path("mask_table", "csv"),
    report_path("rho_figure", "png"),
    report_path("per_sample_figure", "png"),
    report_path("qualitative_figure", "png"),
    report_path("training_curves", "png"),
] + PREMISE_REPORT
