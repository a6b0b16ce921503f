"""What the authors' training scripts do with the BatchNorm of their FIXED networks, for
tests/test_recipe_frozen_bn.py.

Usage: python tools/authors_parity/make_frozen_bn_fixture.py AUTHORS_REPO OUT_FILE
  AUTHORS_REPO: a local checkout of github.com/yunhan-zhao/ARC (measured at 13add94), e.g.
    git -C <mirror> archive HEAD | tar -x -C /tmp/authors_arc
  OUT_FILE: e.g. tests/fixtures/authors_frozen_bn.pt

Runs their own ``train()`` of two scripts for one epoch on CPU, in a scratch working directory:
  - ``training/train_inpainting_module_I.py`` (A and T fixed, loaded with ``isTrain=True``), and
  - ``training/finetune_the_whole_system_with_depth_loss.py`` (A fixed, D, T, I trained),
on ``STEPS`` seeded batches of real (and synthetic) images. Their upstream weights are written
where their scripts load them (experiments/<stage>/epoch-480_*.pth, epoch-450_*.pth, best_*.pth),
each filled by arc.models.authors.state_mapping.fill_seeded_ (same keys in ours: the test rebuilds
the same values). Recorded: A's logits at every step (a forward hook on their A; every SUBSAMPLE-th
row and column) with the full-resolution keep rate of logit >= 0 (their test rule), and the state of
the fixed networks after the epoch (running statistics, num_batches_tracked, and whether every
weight is unchanged); nothing else of theirs is stored.

Patches, and only these: the network constructors get width WIDTH (their scripts use the default
64) so the run is small; their DiscriminatorGlobalLocal gets its fc1 sized for the HxW used here
(their fc1 hard-codes 240x320, as in make_fixtures.py); torchvision.models.vgg19 returns an
untrained VGG19 (no download; no VGG value is recorded); tensorboardX (unused: use_tensorboardX
is set False), apex (the fine-tuning script's __init__ calls amp.initialize: here it returns the
models unchanged, fp32, and use_apex is set False before training) and skimage (imported, unused)
are stand-ins when missing; their init_weights' uniform_(w, 1.0, 0.02) (refused by
torch >= 1.5) draws U(0.02, 1) as torch 1.x did (only the trained networks' init, not recorded).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import types
from pathlib import Path

import torch
import torch.nn as nn

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
from arc.models.authors.state_mapping import fill_seeded_  # noqa: E402

WIDTH = 4
HEIGHT, WIDTH_PX = 96, 128  # A and T need multiples of 4; D multiples of 16 and a bottleneck wider than its dilation 5
BATCH, STEPS = 2, 3
SUBSAMPLE = 4  # A's logits are stored on every 4th row and column (the fixture stays small)
SEEDS = {"attModule": 11, "styleTranslator": 12, "inpaintNet": 13, "depthEstModel": 14}


def _stand_ins() -> None:
    for name in ("tensorboardX", "skimage", "apex"):
        try:
            __import__(name)
        except ImportError:
            module = types.ModuleType(name)
            if name == "tensorboardX":
                module.SummaryWriter = lambda *a, **k: None
            if name == "apex":
                # the fine-tuning script calls amp.initialize in __init__; fp32 here: models as they are
                module.amp = types.SimpleNamespace(initialize=lambda models, optims, **kw: (models, optims))
            if name == "skimage":
                module.io = module.transform = types.ModuleType("skimage.part")
            sys.modules[name] = module
    import torchvision

    plain_vgg19 = torchvision.models.vgg19
    torchvision.models.vgg19 = lambda pretrained=False, **kw: plain_vgg19(weights=None)
    # Their init_weights calls init.uniform_(w, 1.0, 0.02), which torch >= 1.5 refuses (low > high);
    # torch 1.x drew low + (high - low) * u, i.e. U(0.02, 1): the same draw with the bounds in order.
    import models.depth_generator_networks as their_init

    ordered = types.SimpleNamespace(**{k: getattr(torch.nn.init, k) for k in dir(torch.nn.init) if not k.startswith("__")})
    ordered.uniform_ = lambda tensor, a=0.0, b=1.0: torch.nn.init.uniform_(tensor, min(a, b), max(a, b))
    their_init.init = ordered


def _narrow(module) -> None:
    """Their constructors at width WIDTH, and their inpainting discriminator sized for HxW."""
    for name in ("_Attention_FullRes", "_ResGenerator_Upsample", "_UNetGenerator"):
        if hasattr(module, name):
            setattr(module, name, functools.partial(getattr(module, name), ngf=WIDTH))
    if hasattr(module, "DiscriminatorGlobalLocal"):
        base = module.DiscriminatorGlobalLocal

        def sized(**kw):
            net = base(conv_dim=WIDTH, **kw)
            probe = torch.zeros(1, 3, HEIGHT, WIDTH_PX)
            with torch.no_grad():
                flat = net.mainGlobal(probe).numel() + net.mainLocal(probe).numel()
            net.fc1 = nn.Linear(flat, 1, bias=False)
            return net

        module.DiscriminatorGlobalLocal = sized


def batches(seed: int = 7) -> list[dict]:
    """STEPS batches of real and synthetic images in [-1, 1] and depth in [-1, 1] (theirs: normalised)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(STEPS):
        def images():
            return torch.rand(BATCH, 3, HEIGHT, WIDTH_PX, generator=gen) * 2 - 1

        def depths():
            return torch.rand(BATCH, 1, HEIGHT, WIDTH_PX, generator=gen) * 2 - 1

        out.append({"real": [images(), depths()], "syn": [images(), depths()]})
    return out


def _write_upstream(nets: dict, files: dict) -> None:
    """Each upstream network's seeded weights where their script loads it (cwd-relative)."""
    for attr, path in files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(fill_seeded_(nets[attr], SEEDS[attr]).state_dict(), path)


def _run(script: str, cls: str, upstream: dict, fixed: tuple[str, ...], exp_dir: Path) -> dict:
    module = __import__(f"training.{script}", fromlist=[cls])
    _narrow(module)
    args = types.SimpleNamespace(device=torch.device("cpu"), isTrain=True, project_name=script, exp_dir=str(exp_dir),
                                 cropSize=[HEIGHT, WIDTH_PX], batch_size=BATCH, total_epoch_num=1)
    # Their base_model builds the networks inside __init__ and loads the upstream files there, so
    # the files are written first from a throwaway build with the same constructors.
    scratch = {"attModule": module._Attention_FullRes(input_nc=3, output_nc=1),
               "styleTranslator": module._ResGenerator_Upsample(input_nc=3, output_nc=3),
               "inpaintNet": module._ResGenerator_Upsample(input_nc=3, output_nc=3)}
    if hasattr(module, "_UNetGenerator"):
        scratch["depthEstModel"] = module._UNetGenerator(input_nc=3, output_nc=1)
    _write_upstream(scratch, upstream)
    data = batches()
    model = getattr(module, cls)(args, data, {})
    model.use_tensorboardX = False
    model.use_apex = False
    model.save_steps = 10 ** 9  # no epoch save / test-set evaluation inside the one epoch
    before = {attr: {k: v.clone() for k, v in getattr(model, attr).state_dict().items()} for attr in fixed}
    logits: list[torch.Tensor] = []
    model.attModule.register_forward_hook(lambda mod, inp, out: logits.append(out[-1].detach().clone()))
    try:
        model.train()
    except KeyError:
        # the fine-tuning script's closing summary prints the best test-set epoch, which exists only
        # after an evaluation (every save_steps epochs, switched off here); the epoch itself finished
        if len(logits) != STEPS:
            raise
    if len(logits) != STEPS:
        raise RuntimeError(f"{script}: expected {STEPS} forward passes of A, saw {len(logits)}")
    record = {"logits": [l[..., ::SUBSAMPLE, ::SUBSAMPLE].clone() for l in logits], "keep": [float((l >= 0).float().mean()) for l in logits], "modes": {attr: getattr(model, attr).training for attr in fixed}, "state": {}}
    for attr in fixed:
        after = getattr(model, attr).state_dict()
        record["state"][attr] = {k: v.clone() for k, v in after.items() if "running_" in k or "num_batches" in k}
        record["state"][attr]["weights_unchanged"] = all(
            torch.equal(after[k], before[attr][k]) for k in after if "running_" not in k and "num_batches" not in k)
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("authors_repo", type=Path)
    ap.add_argument("out_file", type=Path)
    ap.add_argument("--scratch", type=Path, default=Path("/tmp/authors_frozen_bn"))
    cli = ap.parse_args()
    if not (cli.authors_repo / "training" / "train_inpainting_module_I.py").is_file():
        sys.exit(f"{cli.authors_repo}: not a checkout of yunhan-zhao/ARC (no training/train_inpainting_module_I.py)")
    out_file = cli.out_file.resolve()
    sys.path.insert(0, str(cli.authors_repo.resolve()))
    _stand_ins()
    torch.set_num_threads(1)
    cli.scratch.mkdir(parents=True, exist_ok=True)
    os.chdir(cli.scratch)  # their scripts load upstream weights from os.getcwd()/experiments
    exp = cli.scratch / "runs"
    fixture = {
        "width": WIDTH, "height": HEIGHT, "width_px": WIDTH_PX, "batch": BATCH, "steps": STEPS, "seeds": SEEDS, "subsample": SUBSAMPLE,
        "inpainting": _run(
            "train_inpainting_module_I", "train_inpainting_module_I",
            {"styleTranslator": "experiments/train_style_translator_T/epoch-480_styleTranslator.pth",
             "attModule": "experiments/train_initial_attention_module_A/epoch-450_attModule.pth"},
            ("attModule", "styleTranslator"), exp),
        "finetune": _run(
            "finetune_the_whole_system_with_depth_loss", "finetune_the_whole_system_with_depth_loss",
            {"depthEstModel": "experiments/jointly_train_depth_predictor_D_and_attention_module_A/best_depthEstModel.pth",
             "styleTranslator": "experiments/train_style_translator_T/epoch-480_styleTranslator.pth",
             "attModule": "experiments/jointly_train_depth_predictor_D_and_attention_module_A/best_attModule.pth",
             "inpaintNet": "experiments/train_inpainting_module_I/epoch-450_inpaintNet.pth"},
            ("attModule",), exp),
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_suffix(".tmp")
    torch.save(fixture, tmp)
    tmp.replace(out_file)
    print(f"wrote {out_file} ({out_file.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
