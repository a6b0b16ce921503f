"""One module per training stage; each exposes ``run(params, *, data_dir, seed, out_dir, ...)``."""

from importlib import import_module

# Stage names, the peers and what each reads: the stage table (arc/stage_table.py).
from arc.stage_table import PEER_MODELS, PEER_STAGES, STAGES, check_peer_row  # noqa: F401


def get_stage(name: str):
    """The stage module ``arc.training.stages.<name>`` (its ``run`` trains the stage)."""
    if name not in STAGES:
        from arc.errors import ConfigError

        raise ConfigError(f"unknown training stage {name!r}; stages: {', '.join(STAGES)}")
    return import_module(f"arc.training.stages.{name}")
