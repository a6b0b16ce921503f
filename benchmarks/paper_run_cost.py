"""A paper run's cost from measured seconds per step (benchmarks/bench_stage_steps.py's CSV): per
stage kind, how many runs the DAG trains (every row at rho, ARC: full at each rho of the sweep, per
seed; a step shared by rows counts once), steps per epoch at the preset's counts and batch size,
epochs, steps in all, and CPU hours. Prints a Markdown table.

    python benchmarks/paper_run_cost.py --preset paper-nyu --measured docs/performance/cpu_2026-12-02_paper-nyu.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path



REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from arc.config import load_params  # noqa: E402


def training_counts(params: dict) -> dict[str, int]:
    d = params["data"]
    if params["benchmark"] == "nyu-pbrs":
        return {"synthetic": d["pbrs"]["n_train"], "real": d["nyu"]["n_train"]}
    return {"synthetic": 2126 * len(d["vkitti"]["variants"]), "real": d["kitti"]["n_train"]}  # vKITTI 1.3.1


def epochs(params: dict, stage: str, measured_steps_per_unit: int) -> int:
    """Epochs of one run of ``stage``; finetune and gasda have several phases, counted by the
    benchmark's steps with every epoch setting at 1 (``measured_steps_per_unit``)."""
    t = params["training"]
    if stage == "finetune":
        if t["finetune"].get("loss") == "combined":  # the authors' code: one loss for training.finetune.epochs
            return t["finetune"]["epochs"]
        return t["finetune"]["iterations"] * t["finetune"]["epochs_per_step"] * measured_steps_per_unit
    if stage == "gasda":
        return t["gasda"]["pretrain_epochs"] + t["gasda"]["epochs"]
    return t[stage]["epochs"]


def stage_runs(params: dict) -> dict[str, int]:
    """Training jobs per stage kind in the DAG (arc.dag: the jobs Snakemake and DVC run, each once)."""
    from arc.dag import training_runs_per_stage

    return training_runs_per_stage(params)


def cost_table(preset: str, measured: Path) -> str:
    from arc.training.recipe import steps_per_epoch

    params = load_params(REPO / "configs" / f"{preset}.yaml", check_paths=False)
    rows = list(csv.DictReader(measured.open()))
    spe = steps_per_epoch(params, training_counts(params), params["optim"]["batch_size"])
    runs = stage_runs(params)
    lines = [f"| stage | runs | steps/epoch | epochs | steps in all | s/step, CPU, batch 1 (measured) | hours on that CPU at batch {params['optim']['batch_size']} | GPU |",
             "|---|---|---|---|---|---|---|---|"]
    total = 0.0
    for r in rows:
        stage = r["stage"]
        n_epochs = epochs(params, stage, int(r["steps"]))
        steps = runs.get(stage, 0) * spe * n_epochs
        # CPU time grows about linearly with the batch: one batch-8 step ~ 8 batch-1 steps
        hours = steps * float(r["seconds_per_step"]) * params["optim"]["batch_size"] / 3600
        total += hours
        lines.append(f"| {stage} | {runs.get(stage, 0)} | {spe} | {n_epochs} | {steps:,} | {float(r['seconds_per_step']):.1f} "
                     f"({r['height']}x{r['width']}, {r['threads']} threads) | {hours:,.0f} | not measured: no GPU |")
    lines.append(f"| **all** | | | | | | **{total:,.0f}** | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", required=True, choices=("paper-nyu", "paper-kitti"))
    parser.add_argument("--measured", required=True, type=Path, help="CSV of benchmarks/bench_stage_steps.py")
    args = parser.parse_args(argv)
    print(cost_table(args.preset, args.measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
