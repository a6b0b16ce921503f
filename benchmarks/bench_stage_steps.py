"""Seconds per training step of every stage a paper preset uses, at the preset's network widths and
input size (batch 1), on a random cache of that size; prints a CSV:

    stage,step,height,width,batch,steps,seconds,seconds_per_step,images_per_s,peak_mb,device,threads,
    compute_s_per_step,outside_s_per_epoch,syncs_per_step,syncs_per_epoch_outside_steps,base_width

seconds_per_step = the stage's wall time / its steps, so with --steps 1 it includes one validation
pass over --steps frames and the checkpoint writes (an upper bound on a training step's cost).
peak_mb: CPU, the process's peak resident set while the stage ran (Linux VmHWM, reset per stage);
CUDA, torch.cuda.max_memory_allocated.
From the stage's timing.csv (arc.training.loop.EpochTiming): compute_s_per_step, the step
functions' seconds per step; outside_s_per_epoch, an epoch's wall time less its compute (loader
start and waits, validation, checkpoint writes, logs; not the process start or the stage set-up).
syncs_*: calls from the project's code (arc/) that read a tensor's value on the host
(Tensor.item, tolist, cpu, numpy, float(), int(), bool()): each is a device sync when the tensor lives
on a GPU. On a CPU run every tensor is on the host, so these count where a GPU run would wait.
syncs_per_step: inside the steps and the per-step hooks (the losses' read-back included), per step;
syncs_per_epoch_outside_steps: in validation, checkpoint writes and the epoch hooks, per epoch.
--width narrows every network (arc.training.paper_size.narrow_networks) and --size shrinks the input
for a quick count: the syncs do not depend on them, the seconds do.

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
          "peak_mb", "device", "threads", "compute_s_per_step", "outside_s_per_epoch", "syncs_per_step",
          "syncs_per_epoch_outside_steps", "base_width")
HOST_READS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__")
# Reads in code that runs on CPU tensors only, never on a GPU run: the shared-slope PReLU's CPU backward.
CPU_ONLY = {("models/layers.py", "backward")}
OUTSIDE_STEPS = ("hook:validation", "checkpoint_resume", "checkpoint_selected", "data", "epoch")  # "epoch": epoch hooks


class SyncCounter:
    """Counts host reads of tensors made by arc's code, by what the training loop was doing
    (arc.training.loop.EpochTiming's measure names; "stage" outside the epochs)."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.doing = ["stage"]

    def install(self) -> None:
        import contextlib
        import torch

        from arc.training.loop import EpochTiming, Trainer

        counter = self
        for name in HOST_READS:
            original = getattr(torch.Tensor, name)

            def read(tensor, *args, _original=original, **kwargs):
                code = sys._getframe(1).f_code
                if "/arc/" in code.co_filename and (code.co_filename.split("/arc/")[-1], code.co_name) not in CPU_ONLY:
                    counter.counts[counter.doing[-1]] = counter.counts.get(counter.doing[-1], 0) + 1
                return _original(tensor, *args, **kwargs)

            setattr(torch.Tensor, name, read)
        measure = EpochTiming.measure

        @contextlib.contextmanager
        def tracked(timing, what):
            counter.doing.append(what)
            try:
                with measure(timing, what):
                    yield
            finally:
                counter.doing.pop()

        EpochTiming.measure = tracked
        call = Trainer._call

        def epoch_events(trainer, event):  # the epoch's hooks (validation, last.pt, epoch line) apart
            counter.doing.append("epoch" if event in ("before_epoch", "after_epoch", "before_train", "after_train") else counter.doing[-1])
            try:
                call(trainer, event)
            finally:
                counter.doing.pop()

        Trainer._call = epoch_events

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


def _timing(folder: Path) -> tuple[float, float, int]:
    """(compute seconds, outside-compute seconds, epochs) from a stage's timing.csv."""
    with open(folder / "timing.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    compute = sum(float(r["compute_s"]) for r in rows)
    return compute, sum(float(r["wall_s"]) for r in rows) - compute, len(rows)


def bench(preset: str, device: str, steps: int, threads: int, keep: Path | None = None, width: int | None = None,
          size: tuple[int, int] | None = None) -> list[dict]:
    import torch

    from arc.config import benchmark_size
    from arc.training import runner
    from arc.training.paper_size import narrow_networks, run_stages, shrink_schedule, write_cache

    torch.set_num_threads(threads)
    params = load_params(REPO / "configs" / f"{preset}.yaml", check_paths=False)
    params = shrink_schedule(params, steps=steps, device=device, threads=threads)
    if width is not None:
        params = narrow_networks(params, width=width)
    if size is not None:
        params["data"]["real_size"] = {"height": size[0], "width": size[1]}
    height, width_px = benchmark_size(params)
    counter = SyncCounter()
    counter.install()
    syncs: dict[str, dict[str, int]] = {}
    run_training = runner.run_training

    def counted(ctx, plan, **kwargs):
        counter.take()
        try:
            return run_training(ctx, plan, **kwargs)
        finally:
            syncs[Path(ctx.out_dir).name] = counter.take()

    runner.run_training = counted
    from arc.training.stages import STAGES, get_stage

    for name in STAGES:  # the stage modules import run_training by name
        module = get_stage(name)
        if getattr(module, "run_training", None) is run_training:
            module.run_training = counted
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        data = write_cache(work / "cache", params, frames=steps)
        runs = run_stages(params, data, work / "runs")
        timings = {r.name: _timing(work / "runs" / r.name) for r in runs}
    rows = []
    for r in runs:
        compute, outside, epochs = timings[r.name]
        counts = syncs.get(r.name, {})
        outside_steps = sum(n for kind, n in counts.items() if kind in OUTSIDE_STEPS or kind.startswith("hook:validation"))
        in_steps = sum(n for kind, n in counts.items() if kind != "stage") - outside_steps
        rows.append({"stage": r.stage, "step": r.name, "height": height, "width": width_px, "batch": 1, "steps": r.steps,
                     "seconds": round(r.seconds, 2), "seconds_per_step": round(r.seconds / max(r.steps, 1), 2),
                     "images_per_s": round(r.images / r.seconds, 3), "peak_mb": round(r.peak_mb), "device": device,
                     "threads": threads, "compute_s_per_step": round(compute / max(r.steps, 1), 3),
                     "outside_s_per_epoch": round(outside / max(epochs, 1), 3),
                     "syncs_per_step": round(in_steps / max(r.steps, 1), 2),
                     "syncs_per_epoch_outside_steps": round(outside_steps / max(epochs, 1), 1),
                     "base_width": width or "preset"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="paper-nyu", choices=("paper-nyu", "paper-kitti"))
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--steps", type=int, default=1, help="training steps per stage (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--out", default=None, help="also write the CSV here")
    parser.add_argument("--keep", type=Path, default=None, help="keep the cache and the stage folders here")
    parser.add_argument("--width", type=int, default=None, help="every network's base_width (default: the preset's)")
    parser.add_argument("--size", default=None, help="HxW input size instead of the preset's (e.g. 48x64: to count syncs quickly)")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x")) if args.size else None
    rows = bench(args.preset, args.device, args.steps, args.threads, args.keep, args.width, size)
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
