# Shared names and helpers for the rules. Paths follow docs/ARCHITECTURE.md.
import glob

from arc.config import TABLE_ROWS, rho_tag, validate_params

# Fail before any job starts, naming the key and the allowed values.
validate_params(config, "params.yaml")

B = config["benchmark"]
SEEDS = config["seeds"]
RHO = config["rho"]
SWEEP = config["rho_sweep"]
RHO_TAG = rho_tag(RHO)
ROWS = config["rows"]
REPORT = config["reports"]
RUNTIME = config["runtime"]
THREADS = RUNTIME["num_threads"]
GPUS = RUNTIME.get("gpus_per_job", 0)
MEM_TRAIN = RUNTIME.get("mem_mb_per_job", 4000)

BASELINE_ROWS = ["syn_only", "real_only", "mix"]
# ARC rows evaluated at the Table-2 rho (ARC:T has no attention, hence no rho).
RHO_ROWS = ["arc_a", "arc_at", "arc_ai"]
METHODS_NO_RHO = BASELINE_ROWS + ["arc_t"]
TABLE_METHODS = METHODS_NO_RHO + [f"{r}-{RHO_TAG}" for r in RHO_ROWS] + [f"arc_full-{RHO_TAG}"]
SWEEP_METHODS = [f"arc_full-{rho_tag(r)}" for r in SWEEP]
ORACLE = ["oracle_declutter", "oracle_mask"] if B.startswith("synthrooms") else []

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
    return f"reports/{REPORT[name]}.{ext}"


ALL_REPORTS = [
    report_path("table", "csv"),
    report_path("table", "md"),
    report_path("mask_table", "csv"),
    report_path("rho_figure", "png"),
    report_path("per_sample_figure", "png"),
    report_path("qualitative_figure", "png"),
    report_path("training_curves", "png"),
]
