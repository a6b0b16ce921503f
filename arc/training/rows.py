"""Table-2 rows as compositions of stages (``params["rows"]``).

A row says which modules the real image passes through before D (``modules``: A, T, I) and
which stages train, in order (``stages``). ``plan_row`` turns it into ordered ``StageStep``s,
each with its output directory name and the upstream checkpoints it needs, named like the
workflow's run folders (runs/<benchmark>/seed<S>/<name>/):

    depth        syn_only | real_only | mix       (by the row's depth_source)
    translator   translator
    attention    attention-rho<R>  | attention_t-rho<R>   (_t: trained on T(x))
                 attention         (training.attention.objective cyclegan with its own rho and the
                                    threshold test mask: A reads neither D, T nor the row's rho,
                                    so every row and sweep value shares one A per seed)
    inpainting   inpainting-rho<R> | inpainting_t-rho<R>  (| inpainting | inpainting_t after that shared A)
    joint        joint-rho<R>      | joint_t-rho<R>   (joint_ti / joint_i: after inpainting, I in the loop)
    finetune     <row>-rho<R> (rows with A) | <row>
    t2net / crdoco / gasda (peer rows)   <row>

A peer row (T2Net, CrDoCo, GASDA) is ``stages: [*prerequisites, <peer>]`` with no ``modules``:
the peer stage trains its own depth net(s), starting from the prerequisites' checkpoints
(arc.training.stages.PEER_STAGES; CrDoCo and GASDA start from the translator stage's CycleGAN).

Rows that share a prefix of their chain share these folders (e.g. every ARC row reuses ``mix``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

# The row plans themselves live in the stage table (arc/stage_table.py, no torch); here: training them.
from arc.stage_table import (  # noqa: F401
    DEPTH_RUN,
    MODULE_STAGE,
    ORDER_BEFORE,
    StageStep,
    _plan,
    attention_reads,
    check_row,
    peer_of,
    rho_tag,
)

def plan_row(params: dict, row: str, *, rho: float | None = None) -> list[StageStep]:
    """The ordered stages of a row with their folder names and upstream checkpoints."""
    from arc.losses.sparsity import check_rho  # imported here: the workflow files plan rows without torch

    spec = check_row(params, row)
    if "A" in spec["modules"]:
        rho = check_rho(params.get("rho") if rho is None else rho, "rho" if rho is None else "--rho")
    return _plan(spec, row, rho, rho_tag(rho), attention_reads(params))


def final_checkpoint(root: str | Path, steps: Sequence[StageStep]) -> Path:
    """The row's model: the selected checkpoint of its last stage."""
    return Path(root) / steps[-1].name / "checkpoint.pt"


def run_row(params: dict, row: str, *, data_dir, seed: int, root, rho: float | None = None, resume: bool = True) -> dict:
    """Train every stage of a row into ``root/<step name>`` (finished stages return at once)."""
    from arc.training.stages import get_stage

    root = Path(root)
    summaries = {}
    for step in plan_row(params, row, rho=rho):
        upstream = {kwarg: root / name / "checkpoint.pt" for kwarg, name in step.needs.items()}
        summaries[step.name] = get_stage(step.stage).run(
            params, data_dir=data_dir, seed=seed, out_dir=root / step.name, resume=resume, **step.options, **upstream
        )
    return summaries
