"""One module per training stage; each exposes ``run(params, *, data_dir, seed, out_dir, ...)``."""

from importlib import import_module

# Stage names, the peers and what each reads: the stage table (arc/stage_table.py).
from arc.stage_table import PEER_MODELS, PEER_STAGES, STAGES  # noqa: F401


def check_peer_row(spec: dict, key: str) -> str:
    """A peer row is ``stages: [*prerequisites, peer]``, ``modules: []``, ``depth_source: mix``;
    returns the peer's stage name. ``key`` names the row in messages (e.g. "params.yaml: rows.t2net")."""
    from arc.errors import ConfigError

    stages = list(spec.get("stages") or [])
    peer = stages[-1]
    expected = [*PEER_STAGES[peer], peer]
    if stages != expected:
        raise ConfigError(f"{key}.stages = {stages}: the peer {peer!r} is trained by the stages {expected}")
    if spec.get("modules"):
        raise ConfigError(f"{key}.modules = {spec['modules']}: a peer row has no ARC modules (expected [])")
    if spec.get("depth_source") != "mix":
        raise ConfigError(f"{key}.depth_source = {spec.get('depth_source')!r}: the peers train on synthetic and real labels (expected 'mix')")
    return peer


def get_stage(name: str):
    """The stage module ``arc.training.stages.<name>`` (its ``run`` trains the stage)."""
    if name not in STAGES:
        from arc.errors import ConfigError

        raise ConfigError(f"unknown training stage {name!r}; stages: {', '.join(STAGES)}")
    return import_module(f"arc.training.stages.{name}")
