"""Reference values of the authors' inpainting losses, for tests/test_losses_inpainting_authors.py.

Usage: python tools/authors_parity/make_inpainting_loss_fixture.py AUTHORS_REPO OUT_FILE
  AUTHORS_REPO: a local checkout of github.com/yunhan-zhao/ARC (measured at 13add94), e.g.
    git -C <mirror> archive HEAD | tar -x -C /tmp/authors_arc
  OUT_FILE: e.g. tests/fixtures/authors_inpainting_losses.json

Runs their loss.py (VGG19, PerceptualLoss, StyleLoss, as train_inpainting_module_I.py:262-266
calls them: L1 and perceptual on I's output vs T(x), style on both times (1 - M)) on seeded
tensors (``inputs`` below, rebuilt the same way by the test). Their VGG19 asks torchvision for
ImageNet weights; instead torchvision.models.vgg19 is patched to return a VGG19 whose layers
carry the seeded random weights of arc's VGGFeatures("vgg19", seed=SEED) (the layers past
relu5_2, which no loss reads, keep torchvision's init). loss.py imports skimage at the top
without using it for the losses; an empty stand-in module is put in its place when missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
from arc.losses.inpainting_authors import VGG_LAYERS  # noqa: E402
from arc.models.vgg_features import VGGFeatures  # noqa: E402

SEED = 7
SHAPE = (2, 3, 32, 48)


def inputs(seed: int = SEED, shape: tuple = SHAPE) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(I's output, T(x), keep mask M) from one seeded generator."""
    g = torch.Generator().manual_seed(seed)
    output = torch.rand(shape, generator=g) * 2 - 1
    target = torch.rand(shape, generator=g) * 2 - 1
    keep = (torch.rand((shape[0], 1, *shape[2:]), generator=g) > 0.3).float()
    return output, target, keep


def ours_as_torchvision_vgg19() -> torch.nn.Module:
    import torchvision

    ours = VGGFeatures("vgg19", seed=SEED, layers=VGG_LAYERS, normalize=False)
    full = torchvision.models.vgg19(weights=None)
    missing = full.features.load_state_dict(ours.features.state_dict(), strict=False)
    assert not missing.unexpected_keys, missing
    return full


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("authors_repo", type=Path)
    parser.add_argument("out_file", type=Path)
    args = parser.parse_args(argv)
    if not (args.authors_repo / "loss.py").is_file():
        parser.error(f"{args.authors_repo} holds no loss.py: expected a checkout of yunhan-zhao/ARC")
    try:
        import skimage  # noqa: F401
    except ImportError:
        sys.modules["skimage"] = types.ModuleType("skimage")
        for name in ("io", "transform"):
            sys.modules[f"skimage.{name}"] = types.ModuleType(f"skimage.{name}")
            setattr(sys.modules["skimage"], name, sys.modules[f"skimage.{name}"])
    import torchvision.models

    vgg = ours_as_torchvision_vgg19()
    torchvision.models.vgg19 = lambda *a, **k: vgg
    sys.path.insert(0, str(args.authors_repo))
    import loss as theirs

    output, target, keep = inputs()
    hole = 1.0 - keep
    with torch.no_grad():
        values = {
            "l1": float(torch.nn.L1Loss()(output, target)),
            "perceptual": float(theirs.PerceptualLoss(vgg19=theirs.VGG19())(output, target)),
            "style": float(theirs.StyleLoss(vgg19=theirs.VGG19())(output * hole, target * hole)),
        }
    record = {"source": "yunhan-zhao/ARC @13add94 loss.py", "seed": SEED, "shape": list(SHAPE), "values": values}
    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_suffix(args.out_file.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(args.out_file)
    print(json.dumps(values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
