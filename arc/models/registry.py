"""Model registry (timm style): every network is built by name from params.yaml settings.

``build_model`` records the registry name and kwargs on the module as
``module.arc_spec`` so checkpoints can describe which networks they hold and
rebuild them without knowing the classes.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch.nn as nn

from arc.errors import ConfigError

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Class/factory decorator: ``@register_model("depth_unet")``."""

    def decorator(factory: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"model name {name!r} is already registered to {_REGISTRY[name]!r}")
        _REGISTRY[name] = factory
        return factory

    return decorator


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def _accepted_kwargs(factory: Callable[..., nn.Module]) -> list[str]:
    params = inspect.signature(factory).parameters.values()
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered network; unknown names/settings raise ConfigError."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; registered models: {', '.join(list_models())}")
    factory = _REGISTRY[name]
    accepted = _accepted_kwargs(factory)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ConfigError(
            f"model {name!r} got unknown setting(s) {unknown}; accepted settings: {accepted}"
        )
    model = factory(**kwargs)
    model.arc_spec = {"name": name, "kwargs": dict(kwargs)}
    return model


def model_spec(module: nn.Module) -> dict[str, Any] | None:
    """``{"name", "kwargs"}`` recorded by build_model, or None for modules built directly."""
    spec = getattr(module, "arc_spec", None)
    return None if spec is None else {"name": spec["name"], "kwargs": dict(spec["kwargs"])}


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
