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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from arc.errors import ConfigError
from arc.settings import setting
from arc.stage_table import PEER_STAGES, STAGES, rho_tag
from arc.training.stages import check_peer_row

MODULE_STAGE = {"T": "translator", "A": "attention", "I": "inpainting"}
DEPTH_RUN = {"syn": "syn_only", "real": "real_only", "mix": "mix"}
# Stages that must come before a stage when the row has them.
ORDER_BEFORE = {
    "attention": ("translator",),
    "inpainting": ("attention", "translator"),
    "joint": ("attention", "translator"),
    "finetune": ("translator", "attention", "inpainting", "joint"),
}


@dataclass(frozen=True)
class StageStep:
    stage: str  # module name in arc.training.stages
    name: str  # output folder name (shared by rows with the same chain)
    options: dict = field(default_factory=dict)  # other run() kwargs: source / rho / row
    needs: dict = field(default_factory=dict)  # run() checkpoint kwarg -> name of the producing step

    def to_dict(self) -> dict:
        return {"stage": self.stage, "name": self.name, "options": dict(self.options), "needs": dict(self.needs)}


def _row(params: dict, row: str) -> dict:
    rows = params.get("rows") or {}
    if row not in rows:
        raise ConfigError(f"rows.{row}: no such row; rows in params: {sorted(rows)}")
    return rows[row]


def check_row(params: dict, row: str) -> dict:
    """Validate ``rows.<row>`` and return it; messages name the key and what is expected."""
    spec = _row(params, row)
    modules, stages = list(spec.get("modules", [])), list(spec.get("stages", []))
    key = f"rows.{row}"
    if stages and stages[-1] in PEER_STAGES:
        check_peer_row(spec, key)
        return spec
    bad = [m for m in modules if m not in MODULE_STAGE]
    if bad:
        raise ConfigError(f"{key}.modules has {bad}; allowed modules: A, T, I")
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ConfigError(f"{key}.stages has unknown stage(s) {unknown}; stages: {list(STAGES)}")
    misplaced = [s for s in stages if s in PEER_STAGES]
    if misplaced:
        raise ConfigError(f"{key}.stages: the peer stage(s) {misplaced} must come last (a peer row is [*prerequisites, peer])")
    if not stages or stages[0] != "depth":
        raise ConfigError(f"{key}.stages must start with 'depth' (D is pretrained first), got {stages}")
    if len(set(stages)) != len(stages):
        raise ConfigError(f"{key}.stages lists a stage twice: {stages}")
    if spec.get("depth_source") not in DEPTH_RUN:
        raise ConfigError(f"{key}.depth_source = {spec.get('depth_source')!r}: expected one of {sorted(DEPTH_RUN)}")
    for letter, stage in MODULE_STAGE.items():
        if letter in modules and stage not in stages:
            raise ConfigError(f"{key}.modules has {letter} but {key}.stages lacks {stage!r} (which trains it)")
        if stage in stages and letter not in modules:
            raise ConfigError(f"{key}.stages trains {stage!r} but {key}.modules lacks {letter}")
    if "I" in modules and "A" not in modules:
        raise ConfigError(f"{key}.modules: I (inpainting) needs A (its holes come from A)")
    if "joint" in stages and "A" not in modules:
        raise ConfigError(f"{key}.stages has 'joint' (D + A) but {key}.modules lacks A")
    for i, stage in enumerate(stages):
        late = [s for s in stages[i + 1 :] if s in ORDER_BEFORE.get(stage, ())]
        if late:
            raise ConfigError(f"{key}.stages: {stage!r} must come after {late} (it uses their checkpoints)")
    return spec



def peer_of(spec: dict) -> str | None:
    """The peer stage a row ends with (t2net, crdoco, gasda), or None for the ARC/baseline rows."""
    stages = spec.get("stages") or []
    return stages[-1] if stages and stages[-1] in PEER_STAGES else None


def plan_row(params: dict, row: str, *, rho: float | None = None) -> list[StageStep]:
    """The ordered stages of a row with their folder names and upstream checkpoints."""
    from arc.losses.sparsity import check_rho  # imported here: the workflow files plan rows without torch

    spec = check_row(params, row)
    if "A" in spec["modules"]:
        rho = check_rho(params.get("rho") if rho is None else rho, "rho" if rho is None else "--rho")
    return _plan(spec, row, rho, rho_tag(rho), attention_reads(params))


def attention_reads(params: dict) -> dict[str, bool]:
    """What the attention stage (the paper's stage 3) reads besides its own settings: the row's rho,
    the pretrained D, and T for rows with T. A job is what it computes: a stage that reads none of
    them is one job per seed, whatever row or sweep value asked for it.

    The authors' stage 3 (``objective: cyclegan``) trains A inside a fresh CycleGAN with no depth
    loss, so D and T would only feed validation diagnostics; with its own KL target
    (``training.attention.rho``) and the threshold test mask it does not read the row's rho either."""
    cfg = ((params.get("training") or {}).get("attention") or {})
    cyclegan = setting(params, "training.attention.objective") == "cyclegan"
    own_rho = "rho" in cfg and setting(params, "training.attention.test_mask") == "threshold"
    # A is trained against the D of training.attention.depth_row (the paper: "does not matter", Sec. 3.5)
    depth_row = setting(params, "training.attention.depth_row")
    depth_source = ((params.get("rows") or {}).get(depth_row) or {}).get("depth_source", depth_row)
    return {"rho": not own_rho, "depth": not cyclegan, "translator": not cyclegan,
            "depth_folder": DEPTH_RUN.get(depth_source, depth_row)}


def _plan(spec: dict, row: str, rho, tag: str, reads: dict) -> list[StageStep]:
    modules, stages = set(spec["modules"]), spec["stages"]
    t = "_t" if "T" in modules else ""
    steps: list[StageStep] = []
    made: dict[str, str] = {}  # checkpoint kwarg -> producing step name (latest wins: joint updates D and A)
    for stage in stages:
        if stage in PEER_STAGES:
            steps.append(StageStep(stage, row, {}, {k: made[k] for k in PEER_STAGES[stage]}))
            continue
        if stage == "depth":
            step = StageStep("depth", DEPTH_RUN[spec["depth_source"]], {"source": spec["depth_source"]})
            made["depth"] = step.name
        elif stage == "translator":
            step = StageStep("translator", "translator")
            made["translator"] = step.name
        elif stage == "attention":
            needs = {k: made[k] for k in ("depth", "translator") if k in made and reads[k]}
            if "depth" in needs:
                needs["depth"] = reads["depth_folder"]
            a_t = "_t" if "translator" in needs else ""
            a_rho = f"-{tag}" if reads["rho"] else ""
            step = StageStep("attention", f"attention{a_t}{a_rho}", {"rho": rho} if reads["rho"] else {}, needs)
            made["attention"] = step.name
            a_suffix = a_rho
        elif stage == "inpainting":
            # I follows its A's folder (a shared A gives a shared I) and sees T(x) in rows with T
            needs = {k: made[k] for k in ("attention", "translator") if k in made}
            step = StageStep("inpainting", f"inpainting{t}{a_suffix}", {}, needs)
            made["inpainter"] = step.name
        elif stage == "joint":
            # after inpainting: I in the loop (the authors' step 5), in the folder name too
            needs = {k: made[k] for k in ("depth", "attention", "translator", "inpainter") if k in made}
            i = "i" if "inpainter" in needs else ""
            step = StageStep("joint", f"joint{t}{i}-{tag}", {"rho": rho}, needs)
            made["depth"] = made["attention"] = step.name
        else:  # finetune
            needs = {k: made[k] for k in ("depth", "translator", "attention", "inpainter") if k in made}
            name = f"{row}-{tag}" if "A" in modules else row
            step = StageStep("finetune", name, {"row": row}, needs)
        steps.append(step)
    return steps


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
