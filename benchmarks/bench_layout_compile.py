"""One training step (forward, L1 loss, backward, Adam) of a paper preset's network at its input
size, batch 1, on the CPU: eager in the default layout, eager channels-last, and torch.compile
(inductor), each from the same initial weights and batch; prints seconds per step (median of
--reps after --warmup steps) and the first step's loss of each variant (equal losses = the same
computation up to float summation order). The variants' timed steps are interleaved (one step of
each in turn), so a machine whose load drifts slows them alike.

    python benchmarks/bench_layout_compile.py --preset paper-nyu --net depth --reps 3
    python benchmarks/bench_layout_compile.py --preset paper-nyu --net translator --reps 3 --compile
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ROLES = {"depth": "depth", "translator": "translator"}


class Stepper:
    """One network variant's training steps (forward, L1 loss, backward, Adam)."""

    def __init__(self, net, x, target):
        import torch

        self.net, self.x, self.target = net, x, target
        self.opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        self.first_loss = None

    def step(self) -> float:
        start = time.perf_counter()
        out = self.net(self.x)
        loss = (out.float() - self.target).abs().mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.first_loss is None:
            self.first_loss = float(loss)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    import torch

    from arc.config import benchmark_size
    from arc.training.stages.common import build_network

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="paper-nyu")
    ap.add_argument("--net", default="depth", choices=sorted(ROLES))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--compile", action="store_true", help="also torch.compile (inductor; the first step compiles)")
    ap.add_argument("--no-channels-last", action="store_true", help="leave the channels-last variant out")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    params = yaml.safe_load((REPO / "configs" / f"{args.preset}.yaml").read_text())
    height, width = benchmark_size(params)
    torch.manual_seed(0)
    base = build_network(params, ROLES[args.net]).train()
    x = torch.rand(1, 3, height, width) * 2 - 1
    with torch.no_grad():
        target = torch.rand_like(base(x).float())
    variants = {"eager": lambda net: net,
                "channels_last": lambda net: net.to(memory_format=torch.channels_last)}
    if args.no_channels_last:
        del variants["channels_last"]
    if args.compile:
        variants["compile"] = lambda net: torch.compile(net)
    print(f"# {args.preset} {args.net} ({type(base).__name__}) {height}x{width}, batch 1, {args.threads} threads, "
          f"{args.warmup} warm-up + {args.reps} timed steps, fp32 CPU")
    print("variant,median_s_per_step,min_s,max_s,first_loss")
    steppers = {}
    for name, make in variants.items():
        inp = x.contiguous(memory_format=torch.channels_last) if name == "channels_last" else x
        steppers[name] = Stepper(make(copy.deepcopy(base)), inp, target)
        warmup = [steppers[name].step() for _ in range(args.warmup)]
        print(f"# {name}: warm-up {', '.join(f'{s:.1f}' for s in warmup)} s", flush=True)
    seconds = {name: [] for name in steppers}
    for _ in range(args.reps):
        for name, stepper in steppers.items():
            seconds[name].append(stepper.step())
    for name, stepper in steppers.items():
        times = seconds[name]
        print(f"{name},{statistics.median(times):.3f},{min(times):.3f},{max(times):.3f},{stepper.first_loss!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
