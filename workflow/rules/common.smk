# Shared names and helpers for the rules. Paths follow docs/ARCHITECTURE.md.
import glob

from arc.config import merge_local_params, rho_tag, settings_source, validate_params
from arc.reports.paper import is_embedded_benchmark
from arc.reports.premise_report import premise_settings
from arc.training.rows import peer_of, plan_row_template, row_training_keys

# This machine's dataset locations (git-ignored params.local.yaml), as every job's loader merges them.
merge_local_params(config)
# Fail before any job starts, naming the key and the allowed values.
validate_params(config, settings_source("params.yaml"))

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
GPUS = RUNTIME.get("gpus_per_job", 0)
MEM_TRAIN = RUNTIME.get("mem_mb_per_job", 4000)

# Every row-dependent list below follows from params.yaml `rows` (via arc.training.rows), and so
# does dvc.yaml (workflow/make_dvc_yaml.py): a row added in params.yaml reaches both tools.
BASELINE_ROWS = [r for r, spec in ROWS.items() if spec["stages"] == ["depth"]]
FINETUNE_ROWS = [r for r, spec in ROWS.items() if "finetune" in spec["stages"]]
PEER_ROWS = [r for r, spec in ROWS.items() if peer_of(spec)]
SWEPT_ROW = "arc_full"  # the row trained at every rho of rho_sweep (Fig. 3)
# Rows evaluated at the Table-2 rho (rows with A); the others carry no rho suffix.
RHO_ROWS = [r for r in FINETUNE_ROWS if "A" in ROWS[r]["modules"] and r != SWEPT_ROW]
METHODS_NO_RHO = BASELINE_ROWS + [r for r in FINETUNE_ROWS if "A" not in ROWS[r]["modules"]] + PEER_ROWS
TABLE_METHODS = METHODS_NO_RHO + [f"{r}-{RHO_TAG}" for r in RHO_ROWS] + [f"{SWEPT_ROW}-{RHO_TAG}"]
SWEEP_METHODS = [f"{SWEPT_ROW}-{rho_tag(r)}" for r in SWEEP]
ORACLE = ["oracle_declutter", "oracle_mask"] if is_embedded_benchmark(B) else []


def row_step(row, rho_text="rho{rho}"):
    """The row's last stage (folder name and upstream folders), as the trainer plans it."""
    return plan_row_template(config, row, rho_text)[-1]


def joint_steps(rho_text="rho{rho}"):
    """Folder template -> the joint StageStep of every row that has one, as the trainer plans it."""
    return {step.name: step for row, spec in ROWS.items() if "joint" in spec["stages"]
            for step in plan_row_template(config, row, rho_text) if step.stage == "joint"}


JOINT_STEPS = joint_steps()


def row_step_inputs(row, seed, rho=None):
    """The upstream checkpoints of the row's last stage (finetune or a peer), by CLI flag."""
    return {flag: ckpt(seed, name.format(rho=rho)) for flag, name in row_step(row).needs.items()}


wildcard_constraints:
    seed=r"\d+",
    rho=r"[0-9.e-]+",
    row="|".join(BASELINE_ROWS),


def sources(*paths):
    """The arc/ source files a stage runs (declared as inputs so code changes rerun it)."""
    files = []
    for p in paths:
        files += sorted(glob.glob(f"{p}/**/*.py", recursive=True)) if "." not in p.rsplit("/", 1)[-1] else [p]
    return files


CODE_COMMON = sources("arc/config.py", "arc/errors.py", "arc/params.schema.json", "arc/utils")
CODE_DATA = CODE_COMMON + sources("arc/data")
CODE_TRAIN = CODE_DATA + sources("arc/models", "arc/losses", "arc/training", "arc/evaluation")
CODE_EVAL = CODE_TRAIN
CODE_REPORT = CODE_COMMON + sources("arc/evaluation", "arc/reports")


def settings(*keys):
    """The params a rule reads (so a change of exactly these reruns it)."""
    out = {}
    for key in keys:
        node = config
        for part in key.split("."):
            node = node[part]
        out[key] = node
    return out


def run_dir(seed, name):
    return f"runs/{B}/seed{seed}/{name}"


def ckpt(seed, name):
    """The run folder of a stage (a directory output); its selected model is <folder>/checkpoint.pt."""
    return f"runs/{B}/seed{seed}/{name}"


def result(seed, method):
    return f"results/{B}/seed{seed}/{method}"


def report_path(name, ext):
    return f"reports/{REPORT.get(name, name)}.{ext}"  # optional names (premise) default to the key


# The premise report (SynthRooms only: it needs the clutter mask and the clutter-free twins).
PREMISE_REPORT = [report_path("premise", "csv")] if ORACLE else []

ALL_REPORTS = [
    report_path("table", "csv"),
    report_path("table", "md"),
    report_path("mask_table", "csv"),
    report_path("rho_figure", "png"),
    report_path("per_sample_figure", "png"),
    report_path("qualitative_figure", "png"),
    report_path("training_curves", "png"),
] + PREMISE_REPORT
