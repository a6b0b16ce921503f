"""Reference outputs of the authors' own networks, for tests/test_models_authors.py.

Usage: python tools/authors_parity/make_fixtures.py AUTHORS_REPO OUT_FILE
  AUTHORS_REPO: a local checkout of github.com/yunhan-zhao/ARC (measured at 13add94), e.g.
    git -C <mirror> archive HEAD | tar -x -C /tmp/authors_arc
  OUT_FILE: e.g. tests/fixtures/authors_parity.pt

Imports only their models/ package (it needs torch, torchvision and numpy). For each network,
at a reduced width: fill every state tensor with arc.models.authors.state_mapping.fill_seeded_
(sorted keys, seeded), then on a seeded input record (1) the eval-mode outputs, (2) a
train-mode step: the train-mode outputs (BatchNorm on batch statistics), the running
statistics it leaves, and the eval-mode outputs after one SGD step (lr 0.1) on
mean(output ** 2). Stored with their state_dict keys and shapes (no weights). Their
DiscriminatorGlobalLocal hard-codes fc1 = Linear(10880, 1) (240x320); the script replaces fc1
with the Linear its flattened features need at the small input, the only patch it makes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn as nn

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
from arc.models.authors.state_mapping import fill_seeded_  # noqa: E402

WIDTH = 4
CASES = {  # role: (input shape, needs the mask input)
    "depth": ((2, 3, 96, 96), False),
    "attention": ((2, 3, 32, 48), False),
    "generator": ((2, 3, 32, 48), False),
    "patch_discriminator": ((2, 3, 64, 80), False),
    "inpaint_discriminator": ((2, 3, 64, 96), True),
}


def build_theirs(role: str, width: int = WIDTH, input_shape: tuple[int, ...] | None = None) -> nn.Module:
    """Their network for ``role`` at base width ``width`` (their PatchGAN has no width: 64);
    the global-local discriminator's fc1 sized for ``input_shape`` (default: CASES[role])."""
    from models.attention_networks import _Attention_FullRes
    from models.depth_generator_networks import _ResGenerator_Upsample, _UNetGenerator
    from models.discriminator_networks import Discriminator80x80InstNorm, DiscriminatorGlobalLocal

    if role == "depth":
        return _UNetGenerator(input_nc=3, output_nc=1, ngf=width)
    if role == "attention":
        return _Attention_FullRes(input_nc=3, output_nc=1, ngf=width)
    if role == "generator":
        return _ResGenerator_Upsample(input_nc=3, output_nc=3, ngf=width)
    if role == "patch_discriminator":
        return Discriminator80x80InstNorm(input_nc=3)  # no width argument: 64
    net = DiscriminatorGlobalLocal(image_size=240, conv_dim=width)
    probe = torch.zeros(1, *(input_shape or CASES[role][0])[1:])
    with torch.no_grad():
        flat = net.mainGlobal(probe).numel() + net.mainLocal(probe).numel()
    net.fc1 = nn.Linear(flat, 1, bias=False)
    return net


def outputs(net: nn.Module, role: str, x: torch.Tensor, mask: torch.Tensor | None) -> list[torch.Tensor]:
    if role == "inpaint_discriminator":
        return [net(x, boxImg=mask.expand_as(x))[0].reshape(-1, 1)]
    out = net(x)
    if role == "depth":
        return list(out[2:])  # the four depth maps
    return [out[-1]] if isinstance(out, list) else [out]


def record(role: str, seed: int) -> dict:
    shape, with_mask = CASES[role]
    torch.manual_seed(seed)
    net = build_theirs(role)
    fill_seeded_(net, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.rand(shape, generator=gen) * 2 - 1
    mask = (torch.rand((shape[0], 1, *shape[2:]), generator=gen) > 0.5).float() if with_mask else None
    net.eval()
    with torch.no_grad():
        eval_out = outputs(net, role, x, mask)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    train_out = outputs(net, role, x, mask)
    loss = sum((o ** 2).mean() for o in train_out)
    opt.zero_grad()
    loss.backward()
    opt.step()
    stats = {k: v.clone() for k, v in net.state_dict().items() if "running_" in k}
    net.eval()
    with torch.no_grad():
        after = outputs(net, role, x, mask)
    return {
        "width": WIDTH, "seed": seed, "input": x, "mask": mask,
        "keys": {k: tuple(v.shape) for k, v in net.state_dict().items()},
        "eval": eval_out, "train": [o.detach() for o in train_out], "running": stats, "after_step": after,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("authors_repo", type=Path)
    ap.add_argument("out_file", type=Path)
    args = ap.parse_args()
    if not (args.authors_repo / "models" / "depth_generator_networks.py").is_file():
        sys.exit(f"{args.authors_repo}: not a checkout of yunhan-zhao/ARC (no models/depth_generator_networks.py)")
    sys.path.insert(0, str(args.authors_repo.resolve()))
    torch.set_num_threads(1)
    fixture = {role: record(role, seed) for seed, role in enumerate(CASES, start=100)}
    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_suffix(".tmp")
    torch.save(fixture, tmp)
    tmp.replace(args.out_file)
    print(f"wrote {args.out_file} ({args.out_file.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
