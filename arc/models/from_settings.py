"""Networks built from the settings: ``models.<key>`` (architecture, widths) -> an ``nn.Module``.

What `arc models summary` prints and what every training stage trains; the registry
(arc.models.registry) holds the constructors.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch.nn as nn

import arc.models  # noqa: F401  (registers every network)
from arc.errors import ConfigError
from arc.models.registry import build_model
from arc.settings import section, setting

# role -> (registry name, params["models"] key)
NETWORKS = {
    "depth": ("depth_unet", "depth"),
    "attention": ("attention_net", "attention"),
    "translator": ("resnet_generator", "translator"),
    "translator_s2r": ("resnet_generator", "translator"),
    "inpainter": ("resnet_generator", "inpainter"),
    "disc_syn": ("patch_discriminator", "patch_discriminator"),
    "disc_real": ("patch_discriminator", "patch_discriminator"),
    "disc_attention": ("patch_discriminator", "patch_discriminator"),
    "disc_inpaint": ("global_local_discriminator", "inpaint_discriminator"),
}
# Networks whose H, W must be divisible by 2**num_downsamples.
DOWNSAMPLING = {"depth": "depth", "translator": "translator", "inpainter": "inpainter"}
# models.<key>.arch: authors -> the authors' network (arc/models/authors) for that key.
AUTHORS_NETWORKS = {
    "depth": "authors_depth_unet",
    "attention": "authors_attention",
    "translator": "authors_generator",
    "inpainter": "authors_generator",
    "patch_discriminator": "authors_patch_discriminator",
    "inpaint_discriminator": "authors_global_local_discriminator",
}
ARCHS = ("project", "authors")
# Networks whose size is fixed at construction (a fully connected layer): given the preset's input size.
_SIZED = ("authors_global_local_discriminator",)



def network_arch(params: Mapping, key: str) -> str:
    """``models.<key>.arch``: project (default) or authors."""
    section(params, "models", key)
    arch = setting(params, f"models.{key}.arch")
    if arch not in ARCHS or (arch == "authors" and key not in AUTHORS_NETWORKS):
        allowed = ARCHS if key in AUTHORS_NETWORKS else ("project",)
        raise ConfigError(f"models.{key}.arch = {arch!r}: expected one of {' | '.join(allowed)}")
    return arch


def network_spec(params: Mapping, role: str) -> dict:
    name, key = NETWORKS[role]
    kwargs = dict(section(params, "models", key))
    if network_arch(params, key) == "authors":
        name = AUTHORS_NETWORKS[key]
    kwargs.pop("arch", None)
    if name in _SIZED:
        from arc.config import benchmark_size

        kwargs["height"], kwargs["width"] = benchmark_size(dict(params))
    return {"name": name, "kwargs": kwargs}


def downsampling_factor(params: Mapping, key: str) -> int:
    """What H and W of the network under ``models.<key>`` must be divisible by."""
    if network_arch(params, key) == "authors":
        return {"depth": 16}.get(key, 4)  # four AvgPools in D, two in A, T and I
    return 2 ** int(section(params, "models", key).get("num_downsamples", 0))


def build_network(params: Mapping, role: str) -> nn.Module:
    spec = network_spec(params, role)
    try:
        return build_model(spec["name"], **spec["kwargs"])
    except ValueError as exc:  # the networks name the bad width/depth
        raise ConfigError(f"models.{NETWORKS[role][1]}: {exc}") from exc


def build_vgg(params: Mapping, layers: Sequence[str] | None = None, normalize: bool = True) -> nn.Module | None:
    """The frozen VGG of the perceptual/style losses, or None when ``models.vgg.fallback: off``
    and no weights are given (those losses are then switched off and the summary says so).
    ``layers``/``normalize``: see VGGFeatures (the authors' inpainting losses use both)."""
    vgg = section(params, "models", "vgg")
    if vgg.get("weights") is None:
        fallback = setting(params, "models.vgg.fallback")
        if fallback == "off":
            return None
        if fallback == "error":
            raise ConfigError("models.vgg.weights is null and models.vgg.fallback is 'error': give the path of torchvision's ImageNet VGG weights")
        if fallback != "random":
            raise ConfigError(f"models.vgg.fallback = {fallback!r}: expected random | off | error")
    return build_model("vgg_features", arch=setting(params, "models.vgg.arch"), weights_path=vgg.get("weights"), seed=int(setting(params, "seed")),
                       layers=layers, normalize=normalize)


