"""Frozen VGG feature extractor for the perceptual and style losses of I.

The paper uses VGG16, the authors' code VGG19 (``arch`` picks). By default only the first
three blocks are kept (relu1_2, relu2_2, relu3_3 / relu3_4): cheap at 48x64
and enough for texture/colour statistics. ``layers`` names other ReLU outputs
(``relu<block>_<conv>``, e.g. the authors' relu1_1..relu5_2, arc/losses/inpainting_authors.py);
``normalize=False`` feeds the [-1, 1] images as they are, as the authors' code does.

ImageNet weights cannot be downloaded here. ``weights_path`` names a
torchvision state_dict file (``vgg16-397923af.pth`` / ``vgg19-dcbb9e9d.pth``
from torchvision, keys ``features.<i>.weight|bias``); a missing file is a
CheckpointError. ``weights_path=None`` builds a fixed random VGG from ``seed``
(Kaiming init, as torchvision does) with ``.pretrained == False``: the losses
then compare random-feature statistics, an honest but weaker substitute that
runs must report.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import torch
import torch.nn as nn

from arc.errors import CheckpointError
from arc.models.registry import register_model

# torchvision config letter and the `features` indices whose outputs are returned.
_ARCHS = {
    "vgg16": ("D", (3, 8, 15)),   # relu1_2, relu2_2, relu3_3
    "vgg19": ("E", (3, 8, 17)),   # relu1_2, relu2_2, relu3_4
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
WEIGHTS_KEY = "models.vgg.weights"


def _random_init_(features: nn.Sequential, seed: int) -> None:
    generator = torch.Generator().manual_seed(int(seed))
    for m in features.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            nn.init.zeros_(m.bias)


def _load_state_dict(features: nn.Sequential, path: Path, arch: str) -> None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt / not a torch file
        raise CheckpointError(f"VGG weights file {path} ({WEIGHTS_KEY}) could not be read as a torch state_dict: {exc}") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"VGG weights file {path} ({WEIGHTS_KEY}) holds a {type(state).__name__}, expected a state_dict")
    wanted = {}
    for key, param in features.state_dict().items():
        source = f"features.{key}"
        if source not in state:
            raise CheckpointError(
                f"VGG weights file {path} ({WEIGHTS_KEY}) lacks {source!r}: expected a torchvision {arch} state_dict"
            )
        if tuple(state[source].shape) != tuple(param.shape):
            raise CheckpointError(
                f"VGG weights file {path} ({WEIGHTS_KEY}): {source!r} has shape {tuple(state[source].shape)}, "
                f"expected {tuple(param.shape)} for {arch}"
            )
        wanted[key] = state[source]
    features.load_state_dict(wanted)


@register_model("vgg_features")
class VGGFeatures(nn.Module):
    def __init__(self, arch: str = "vgg16", weights_path: str | os.PathLike | None = None, seed: int = 0,
                 layers: Sequence[str] | None = None, normalize: bool = True):
        super().__init__()
        if arch not in _ARCHS:
            raise CheckpointError(f"models.vgg.arch = {arch!r}: expected one of {sorted(_ARCHS)}")
        from torchvision.models.vgg import cfgs, make_layers  # deferred: torchvision is slow to import

        config, taps = _ARCHS[arch]
        if layers is not None:
            index = relu_indices(cfgs[config])
            unknown = [name for name in layers if name not in index]
            if unknown or not layers:
                raise ValueError(f"VGGFeatures({arch}): unknown layers {unknown or '(none given)'}; expected names from {list(index)}")
            taps = tuple(index[name] for name in layers)
        self.arch = arch
        self.taps = taps
        self.layer_names = None if layers is None else tuple(layers)
        self.normalize = normalize
        # Build only the layers we use; fork the RNG so building never shifts the caller's random stream.
        with torch.random.fork_rng(devices=[]):
            self.features = make_layers(cfgs[config][: _layers_needed(cfgs[config], max(taps))])
        if weights_path is None:
            _random_init_(self.features, seed)
            self.pretrained = False
        else:
            path = Path(weights_path)
            if not path.is_file():
                raise CheckpointError(
                    f"VGG weights file {path} not found. Put torchvision's ImageNet {arch} weights there "
                    f"(a state_dict .pth such as {'vgg16-397923af.pth' if arch == 'vgg16' else 'vgg19-dcbb9e9d.pth'}) "
                    f"or set {WEIGHTS_KEY} in params.yaml to its path (null = seeded random fallback)."
                )
            _load_state_dict(self.features, path, arch)
            self.pretrained = True
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "VGGFeatures":
        # Always frozen: a parent's .train() must not change it (no dropout/BN kept anyway).
        return super().train(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Images in [-1, 1] -> feature maps at the tapped ReLUs, in the order of ``taps``
        (gradients flow to x)."""
        h = ((x + 1.0) / 2.0 - self.mean) / self.std if self.normalize else x
        found = {}
        last = max(self.taps)
        for index, layer in enumerate(self.features):
            h = layer(h)
            if index in self.taps:
                found[index] = h
            if index == last:
                break
        return [found[index] for index in self.taps]


def relu_indices(config: list) -> dict[str, int]:
    """``relu<block>_<conv>`` -> its index in torchvision's ``vgg.features`` for a cfgs entry."""
    names, index, block, conv = {}, -1, 1, 0
    for entry in config:
        if entry == "M":
            index, block, conv = index + 1, block + 1, 0
            continue
        index, conv = index + 2, conv + 1
        names[f"relu{block}_{conv}"] = index
    return names


def _layers_needed(config: list, last_index: int) -> int:
    """How many config entries produce features[0..last_index] (conv = 2 layers, 'M' = 1)."""
    index = -1
    for count, entry in enumerate(config, start=1):
        index += 1 if entry == "M" else 2
        if index >= last_index:
            return count
    return len(config)
