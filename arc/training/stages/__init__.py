"""One module per training stage; each exposes ``run(params, *, data_dir, seed, out_dir, ...)``."""

from importlib import import_module

STAGES = ("depth", "translator", "attention", "inpainting", "joint", "finetune")


def get_stage(name: str):
    """The stage module ``arc.training.stages.<name>`` (its ``run`` trains the stage)."""
    if name not in STAGES:
        from arc.errors import ConfigError

        raise ConfigError(f"unknown training stage {name!r}; stages: {', '.join(STAGES)}")
    return import_module(f"arc.training.stages.{name}")
