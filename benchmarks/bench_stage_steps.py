"""Seconds per training step of every stage a paper preset uses, at the preset's network widths and
input size (batch 1), on a random cache of that size; prints a CSV:

    stage,step,height,width,batch,steps,seconds,seconds_per_step,images_per_s,peak_mb,device,threads

seconds_per_step = the stage's wall time / its steps, so with --steps 1 it includes one validation
pass over --steps frames and the checkpoint writes (an upper bound on a training step's cost).
peak_mb: CPU, the process's peak resident set while the stage ran (Linux VmHWM, reset per stage);
CUDA, torch.cuda.max_memory_allocated.

    python benchmarks/bench_stage_steps.py --preset paper-nyu --device cpu --steps 1 --threads 2
    python benchmarks/bench_stage_steps.py --preset paper-kitti --device cuda --steps 5 --out docs/performance/gpu.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from pathlib import Path



REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from arc.config import load_params  # noqa: E402

FIELDS = ("stage", "step", "height", "width", "batch", "steps", "seconds", "seconds_per_step", "images_per_s",
          "peak_mb", "device", "threads")


def bench(preset: str, device: str, steps: int, threads: int, keep: Path | None = None) -> list[dict]:
    import torch

    from arc.config import benchmark_size
    from arc.training.paper_size import run_stages, shrink_schedule, write_cache

    torch.set_num_threads(threads)
    params = load_params(REPO / "configs" / f"{preset}.yaml", check_paths=False)
    params = shrink_schedule(params, steps=steps, device=device, threads=threads)
    height, width = benchmark_size(params)
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        data = write_cache(work / "cache", params, frames=steps)
        runs = run_stages(params, data, work / "runs")
    return [{"stage": r.stage, "step": r.name, "height": height, "width": width, "batch": 1, "steps": r.steps,
             "seconds": round(r.seconds, 2), "seconds_per_step": round(r.seconds / max(r.steps, 1), 2),
             "images_per_s": round(r.images / r.seconds, 3), "peak_mb": round(r.peak_mb), "device": device,
             "threads": threads} for r in runs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="paper-nyu", choices=("paper-nyu", "paper-kitti"))
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--steps", type=int, default=1, help="training steps per stage (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--out", default=None, help="also write the CSV here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the cache and the stage folders here")
    args = parser.parse_args(argv)
    rows = bench(args.preset, args.device, args.steps, args.threads, args.keep)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    print(text.getvalue(), end="")
    if args.out:
        from arc.utils.atomic import atomic_write_text

        atomic_write_text(args.out, text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
