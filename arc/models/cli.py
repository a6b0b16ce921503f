"""``arc models summary``: every network of a preset with its variant, parameter count and
output shape at the preset's input size (the parity check against the authors' code)."""

from __future__ import annotations

import json

import torch

# role in the summary -> the training role that builds it (arc.training.stages.common.NETWORKS)
SUMMARY_ROLES = {
    "depth": "depth",
    "attention": "attention",
    "translator": "translator",
    "inpainter": "inpainter",
    "patch_discriminator": "disc_syn",
    "inpaint_discriminator": "disc_inpaint",
}


def summarize(params: dict) -> dict[str, dict]:
    """{role: {"arch", "model", "params", "input", "output"}}. Built and run on the meta device
    (shapes and counts without allocating weights or computing anything), on the CPU where a
    network's forward depends on the data."""
    from arc.config import benchmark_size
    from arc.models.registry import count_parameters
    from arc.models.from_settings import NETWORKS, build_network, network_arch

    height, width = benchmark_size(params)

    def run(training_role: str, device: str):
        with torch.device(device), torch.no_grad():
            net = build_network(params, training_role)
            x = torch.zeros(1, 3, height, width)
            return net, net(x, torch.ones(1, 1, height, width)) if training_role == "disc_inpaint" else net(x)

    out: dict[str, dict] = {}
    for role, training_role in SUMMARY_ROLES.items():
        key = NETWORKS[training_role][1]
        try:
            net, y = run(training_role, "meta")
        except NotImplementedError:  # data-dependent ops (the project's hole crops): run it on the CPU
            net, y = run(training_role, "cpu")
        shapes = [list(t.shape) for t in (y if isinstance(y, (tuple, list)) else [y])]
        out[role] = {
            "arch": network_arch(params, key),
            "model": net.arc_spec["name"],
            "params": count_parameters(net),
            "input": [1, 3, height, width],
            "output": shapes[0] if len(shapes) == 1 else shapes,
        }
    return out


def _cmd_summary(args) -> int:
    from arc.config import load_params

    summary = summarize(load_params(args.params, check_paths=False))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{'role':<22} {'arch':<8} {'model':<36} {'params':>12}  output")
    for role, row in summary.items():
        print(f"{role:<22} {row['arch']:<8} {row['model']:<36} {row['params']:>12,}  {row['output']}")
    return 0


def register(subparsers) -> None:
    from arc.config import add_params_argument

    p = subparsers.add_parser("models", help="inspect the networks of the current preset")
    sub = p.add_subparsers(dest="models_command", required=True)
    s = sub.add_parser("summary", help="each network: variant, parameter count, output shape at the preset's input size")
    add_params_argument(s)
    s.add_argument("--json", action="store_true", help='print {role: {"params": N, ...}}')
    s.set_defaults(func=_cmd_summary)
