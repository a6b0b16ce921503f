"""Compute seconds per fine-tuning step of chosen rows at a paper preset's size (its widths and input
size, batch 1, CPU or CUDA), from upstream checkpoints trained once into --work; prints a CSV:

    label,row,steps,compute_s_per_step,wall_s,arc

The package measured is the ``arc`` Python imports (PYTHONPATH first), so two versions of the
fine-tuning compare on the same checkpoints and cache: an A/B of a change to the stage, e.g. the
combined loss's middle term in every row (bec9e2c) against the commit before it:

    git worktree add /tmp/before ed06535
    python benchmarks/bench_finetune_rows.py --work /tmp/ft --label after                        # trains the upstream once
    PYTHONPATH=/tmp/before python benchmarks/bench_finetune_rows.py --work /tmp/ft --label before

compute_s_per_step is the step functions' time (timing.csv's compute_s / steps): no validation,
checkpoint writes or loader start, unlike bench_stage_steps.py's upper bound.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="paper-nyu", choices=("paper-nyu", "paper-kitti"))
    parser.add_argument("--rows", nargs="+", default=["mix_ft", "arc_t"], help="rows whose fine-tuning is timed")
    parser.add_argument("--work", type=Path, required=True, help="cache and upstream checkpoints (reused when present)")
    parser.add_argument("--label", default="run", help="first CSV column; the stage folders go to WORK/LABEL")
    parser.add_argument("--steps", type=int, default=4, help="training steps per stage (default 4)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    import arc
    from arc.config import load_params
    from arc.training.paper_size import run_stages, shrink_schedule, write_cache
    from arc.training.rows import plan_row
    from arc.training.stages import get_stage

    torch.set_num_threads(args.threads)
    repo = Path(arc.__file__).resolve().parents[1]
    params = load_params(repo / "configs" / f"{args.preset}.yaml", check_paths=False)
    params = shrink_schedule(params, steps=args.steps, device=args.device, threads=args.threads)
    cache, upstream_root = args.work / "cache", args.work / "upstream"
    steps = {row: [s for s in plan_row(params, row) if s.stage == "finetune"] for row in args.rows}
    if missing := [row for row, found in steps.items() if not found]:
        raise SystemExit(f"--rows: {', '.join(missing)} have no fine-tuning stage in {args.preset}")
    if not (upstream_root / "done").is_file():
        with contextlib.redirect_stdout(sys.stderr):  # the stages' progress lines; stdout is the CSV
            write_cache(cache, params, frames=args.steps)
            run_stages(params, cache, upstream_root, rows=args.rows)  # trains every step, the timed ones too
        upstream = sorted({name for row in args.rows for s in steps[row] for name in s.needs.values()})
        (upstream_root / "done").write_text(", ".join(upstream) + "\n")

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["label", "row", "steps", "compute_s_per_step", "wall_s", "arc"])
    for row in args.rows:
        step = steps[row][0]
        checkpoints = {kwarg: upstream_root / name / "checkpoint.pt" for kwarg, name in step.needs.items()}
        out = args.work / args.label / step.name
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            summary = get_stage("finetune").run(params, data_dir=cache, seed=params["seed"], out_dir=out, resume=False,
                                                **step.options, **checkpoints)
        wall = time.perf_counter() - start
        with open(out / "timing.csv") as fh:
            compute = sum(float(r["compute_s"]) for r in csv.DictReader(fh))
        n = int(summary["steps"])
        writer.writerow([args.label, row, n, f"{compute / n:.2f}", f"{wall:.1f}", repo])
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
