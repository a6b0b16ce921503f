"""One training step (forward, L1 loss, backward, Adam) of a paper preset's network at its input
size, batch 1, on the CPU: eager in the default layout, eager channels-last, and torch.compile
(inductor), each from the same initial weights and batch; prints seconds per step (median of
--reps after --warmup steps) and the first step's loss of each variant (equal losses = the same
computation up to float summation order).

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


def step_seconds(net, x, target, *, reps: int, warmup: int) -> tuple[list[float], float]:
    import torch

    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    seconds, first = [], None
    for i in range(warmup + reps):
        start = time.perf_counter()
        out = net(x)
        loss = (out.float() - target).abs().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if first is None:
            first = float(loss)
        if i >= warmup:
            seconds.append(time.perf_counter() - start)
    return seconds, first


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
    if args.compile:
        variants["compile"] = lambda net: torch.compile(net)
    print(f"# {args.preset} {args.net} ({type(base).__name__}) {height}x{width}, batch 1, {args.threads} threads, "
          f"{args.warmup} warm-up + {args.reps} timed steps, fp32 CPU")
    print("variant,median_s_per_step,min_s,max_s,first_loss")
    for name, make in variants.items():
        net = make(copy.deepcopy(base))
        inp = x.contiguous(memory_format=torch.channels_last) if name == "channels_last" else x
        seconds, first = step_seconds(net, inp, target, reps=args.reps, warmup=args.warmup)
        print(f"{name},{statistics.median(seconds):.3f},{min(seconds):.3f},{max(seconds):.3f},{first!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
