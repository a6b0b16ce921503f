"""The concrete training and evaluation jobs of a preset, from its settings and the stage table.

A job is what it computes: each row's plan (``arc.training.rows``) names every stage folder after
what the stage reads, so two rows (or two sweep values) that need the same computation name the
same folder, and the job appears once. Snakemake's rules (workflow/rules/train.smk) and the
dvc.yaml generator (workflow/make_dvc_yaml.py) both take their training and evaluation jobs from
``training_jobs`` and ``evaluation_jobs``: command, upstream folders, settings read, code, log.

    runs/<benchmark>/seed<S>/<stage folder>/      one training job
    results/<benchmark>/seed<S>/<method>/         one evaluation job

No torch import here.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Mapping

from arc.errors import ConfigError
from arc.stage_table import (
    EVALUATE_CODE,
    EVALUATE_SCRIPT,
    PEER_STAGES,
    STAGE_KINDS,
    SWEPT_ROW,
    evaluate_settings,
    rho_tag,
)

DATA_ROOT = "data/cache"


@dataclass(frozen=True)
class Job:
    rule: str  # Snakemake rule / DVC stage prefix
    seed: int
    name: str  # folder name under runs/ or results/ (unique within its rule)
    out: str  # the job's output folder
    cmd: str
    log: str
    settings: tuple[str, ...]  # params keys the job reads
    code: tuple[str, ...]  # arc/ code and the workflow script it runs
    upstream: dict = field(default_factory=dict)  # flag -> upstream folder (its checkpoint.pt is passed)
    data: str = ""  # the benchmark cache folder
    gpu: bool = True
    stage: str = ""  # the stage kind (arc.stage_table.STAGE_KINDS), "evaluate" for evaluation

    @property
    def deps(self) -> list[str]:
        """What the job reads from the DAG (besides code): the cache and its upstream folders."""
        return [self.data, *self.upstream.values()]


def runs_dir(params: Mapping, seed: int) -> str:
    return f"runs/{params['benchmark']}/seed{int(seed)}"


def results_dir(params: Mapping, seed: int) -> str:
    return f"results/{params['benchmark']}/seed{int(seed)}"


def logs_dir(params: Mapping, seed: int | None = None) -> str:
    base = f"logs/{params['benchmark']}"
    return base if seed is None else f"{base}/seed{int(seed)}"


def cache_dir(params: Mapping) -> str:
    return f"{DATA_ROOT}/{params['benchmark']}"


def _arg(value) -> str:
    """One shell word: every value from the settings is quoted, whatever it holds."""
    return shlex.quote(str(value))


def branches(params: Mapping) -> list[tuple[str, float]]:
    """(row, rho) of every trained model: each row at the Table-2 rho, plus the swept row at every
    rho of the sweep (rows without A ignore rho)."""
    rows = params["rows"]
    out = [(row, params["rho"]) for row in rows]
    if SWEPT_ROW in rows:
        out += [(SWEPT_ROW, rho) for rho in params["rho_sweep"] if rho != params["rho"]]
    return out


def _train_job(params: Mapping, seed: int, step, row: str) -> Job:
    kind = STAGE_KINDS[step.stage]
    runs, data = runs_dir(params, seed), cache_dir(params)
    out, log = f"{runs}/{step.name}", f"{logs_dir(params, seed)}/{step.name}.log"
    upstream = {flag: f"{runs}/{name}" for flag, name in step.needs.items()}
    peer = step.stage if step.stage in PEER_STAGES else None
    words = ["python", f"workflow/scripts/{kind.script}", *([peer] if peer else []), "--params", "params.yaml",
             "--data", data]
    if step.stage == "depth":
        words += ["--row", step.name]
    if step.stage == "finetune":
        words += ["--row", row]
    words += ["--seed", str(int(seed))]
    if "rho" in step.options:
        words += ["--rho", repr(float(step.options["rho"]))]
    for flag, folder in upstream.items():
        words += [f"--{flag}", f"{folder}/checkpoint.pt"]
    words += ["--out", out, "--log", log]
    # the depth row, the fine-tuned row and the peer row are the rows whose settings the job reads
    setting_row = step.name if step.stage == "depth" else (row if step.stage == "finetune" or peer else None)
    return Job(rule=kind.rule, seed=int(seed), name=step.name, out=out, cmd=" ".join(_arg(w) for w in words), log=log,
               settings=kind.settings(params, setting_row), code=kind.code, upstream=upstream, data=data, gpu=kind.gpu,
               stage=step.stage)


def training_jobs(params: Mapping) -> list[Job]:
    """Every training job of every seed, once each, in planning order."""
    from arc.training.rows import plan_row

    jobs: dict[str, Job] = {}
    for seed in params["seeds"]:
        for row, rho in branches(params):
            for step in plan_row(params, row, rho=rho if "A" in params["rows"][row]["modules"] else None):
                job = _train_job(params, seed, step, row)
                seen = jobs.setdefault(job.out, job)
                if seen != job:
                    raise ConfigError(f"the plan gives two different jobs the folder {job.out}: {seen.cmd!r} and {job.cmd!r}; "
                                      "folder names must say what differs (arc.training.rows)")
    return list(jobs.values())


def row_method(params: Mapping, row: str, rho: float | None = None) -> str:
    """The result folder of a row: rows with A carry their rho (``arc_full-rho0.85``)."""
    if "A" in ((params.get("rows") or {}).get(row) or {}).get("modules", []):
        return f"{row}-{rho_tag(params['rho'] if rho is None else rho)}"
    return row


def base_method(method: str) -> str:
    """``arc_full-rho0.85`` -> ``arc_full`` (row_method's inverse): a result folder is its row's name
    (no '-' in row names, the schema's pattern), then ``-rho<R>`` for rows with A."""
    return method.split("-", 1)[0]


# The oracle rows (SynthRooms only: they need the clutter-free twins and the clutter masks), in table
# order, with the row whose model each scores:
# oracle_declutter: mix training's D on the clutter-free twins; oracle_mask: ARC: full at the Table-2 rho
# with the true clutter as A; oracle_flat_mask: the same with only the flat (appearance) clutter as A,
# since removing an object hides geometry the ground truth keeps (arc.evaluation.predict.true_clutter_keep);
# oracle_flat_mask_t: ARC: T's T and D with the true flat clutter removed (zero fill, A's training fill):
# a perfect A for a D that was not fine-tuned under a learned A's masks.
ORACLE_METHODS = {"oracle_declutter": "mix", "oracle_mask": SWEPT_ROW, "oracle_flat_mask": SWEPT_ROW,
                  "oracle_flat_mask_t": "arc_t"}
FLAT_ORACLES = ("oracle_flat_mask", "oracle_flat_mask_t")
# The rows that put the true clutter mask in A's place (the flat ones remove only the flat clutter).
MASK_ORACLES = ("oracle_mask", *FLAT_ORACLES)
# The street family's clutter (pedestrians, poles, vegetation) has no flat kind (clutter.APPEARANCE_KINDS):
# its flat oracle rows would remove nothing.
WITHOUT_FLAT_CLUTTER = ("synthrooms-outdoor",)


def oracle_methods(params: Mapping) -> dict[str, tuple[str, float | None]]:
    """The oracle rows whose row the params train: method -> (row, rho: the Table-2 rho for rows with A)."""
    rows = params.get("rows") or {}
    flat = params.get("benchmark") not in WITHOUT_FLAT_CLUTTER
    return {method: (row, params["rho"] if "A" in rows[row].get("modules", []) else None)
            for method, row in ORACLE_METHODS.items() if row in rows and (flat or method not in FLAT_ORACLES)}


def evaluated_methods(params: Mapping, oracles: bool) -> dict[str, tuple[str, float | None]]:
    """method -> (row whose model it scores, rho): every row at the Table-2 rho, the swept row at
    each sweep value, and on SynthRooms the oracle rows (ORACLE_METHODS)."""
    methods = {row_method(params, row, rho): (row, rho) for row, rho in branches(params)}
    if oracles:
        methods.update(oracle_methods(params))
    return methods


def evaluation_jobs(params: Mapping, oracles: bool) -> list[Job]:
    from arc.training.rows import plan_row

    jobs = []
    data = cache_dir(params)
    for seed in params["seeds"]:
        runs, results = runs_dir(params, seed), results_dir(params, seed)
        for method, (row, rho) in evaluated_methods(params, oracles).items():
            model = plan_row(params, row, rho=rho if "A" in params["rows"][row]["modules"] else None)[-1].name
            out, log = f"{results}/{method}", f"{logs_dir(params, seed)}/evaluate-{method}.log"
            words = ["python", EVALUATE_SCRIPT, "--params", "params.yaml", "--checkpoint", f"{runs}/{model}/checkpoint.pt",
                     "--split", f"{data}/real_test", "--method", method, "--seed", str(int(seed)), "--out", out, "--log", log]
            jobs.append(Job(rule="evaluate", seed=int(seed), name=method, out=out, cmd=" ".join(_arg(w) for w in words),
                            log=log, settings=evaluate_settings(params), code=EVALUATE_CODE,
                            upstream={"checkpoint": f"{runs}/{model}"}, data=data, stage="evaluate"))
    return jobs


def jobs_by_rule(jobs: list[Job]) -> dict[str, dict[tuple[int, str], Job]]:
    out: dict[str, dict[tuple[int, str], Job]] = {}
    for job in jobs:
        out.setdefault(job.rule, {})[(job.seed, job.name)] = job
    return out


def training_runs_per_stage(params: Mapping) -> dict[str, int]:
    """Training jobs per stage kind for the whole preset (every seed): what a paper run trains."""
    counts: dict[str, int] = {}
    for job in training_jobs(params):
        counts[job.stage] = counts.get(job.stage, 0) + 1
    return counts


def stage_counts(params: Mapping, oracles: bool = False) -> dict[str, int]:
    """Jobs per rule for the whole preset (every seed)."""
    counts: dict[str, int] = {}
    for job in training_jobs(params) + evaluation_jobs(params, oracles):
        counts[job.rule] = counts.get(job.rule, 0) + 1
    return counts
