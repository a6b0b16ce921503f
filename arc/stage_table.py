"""The stage table: for every kind of job the DAG runs, what it reads, what it runs, and where.

One entry per training stage kind (and one for evaluation): its help line, the checkpoint flags
it takes, the workflow script that runs it, the ``arc/`` code it runs, the settings it reads (a
function of the settings: e.g. the attention stage reads ``models.translator`` only under the
cyclegan objective) and whether it runs on the configured device (a GPU job on CUDA). Snakemake's
rules, the dvc.yaml generator, ``arc train`` and ``arc train plan``, and the cost estimate
(benchmarks/paper_run_cost.py) read it; the concrete jobs of a preset are in ``arc.dag``.

No torch import here: the workflow files plan the DAG without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from arc.errors import ConfigError
from arc.settings import setting

# The domain-adaptation peers of Table 2/3: each trains its whole model in one stage, after the
# stages listed here (whose checkpoints it starts from).
PEER_STAGES = {"t2net": (), "crdoco": ("translator",), "gasda": ("translator",)}
# The params.yaml `models.*` sections each peer builds (the workflow reruns a peer when they change).
PEER_MODELS = {
    "t2net": ("depth", "translator", "patch_discriminator", "feature_discriminator"),
    "crdoco": ("depth", "translator", "patch_discriminator"),
    "gasda": ("depth", "translator", "patch_discriminator"),
}

# The arc/ code each kind of job runs (folders or files), declared as inputs so that a code change
# reruns exactly those jobs; Snakemake lists the files, DVC hashes the folders.
CODE_COMMON = ("arc/config.py", "arc/stage_table.py", "arc/dag.py", "arc/errors.py",
               "arc/params.schema.json", "arc/utils")
CODE_DATA = CODE_COMMON + ("arc/data",)
CODE_TRAIN = CODE_DATA + ("arc/models", "arc/losses", "arc/training", "arc/evaluation")
CODE_REPORT = CODE_COMMON + ("arc/evaluation", "arc/reports")

# Settings every training job reads.
TRAIN_COMMON = ("runtime", "optim", "training.validation")


def recipe_keys(params: Mapping) -> tuple[str, ...]:
    """The recipe-wide ``training.<key>`` settings (epoch, flip, bn_passes, ...): every training
    job reads those present; the per-stage sections are dicts and belong to their stage."""
    training = params.get("training") or {}
    return tuple(f"training.{key}" for key, value in training.items() if not isinstance(value, dict))


@dataclass(frozen=True)
class CheckpointFlag:
    name: str  # --<name> on the command line, the stage's run() keyword
    required: bool
    help: str


@dataclass(frozen=True)
class StageKind:
    """One kind of training job."""

    name: str  # the module in arc.training.stages
    help: str
    flags: tuple[CheckpointFlag, ...]
    reads: Callable[[Mapping, str | None], tuple[str, ...]]  # (settings, row) -> settings keys besides the common ones
    script: str  # workflow/scripts/<script>
    rule: str  # Snakemake rule and DVC stage prefix
    gpu: bool = True  # runs on runtime.device

    @property
    def code(self) -> tuple[str, ...]:
        return CODE_TRAIN + (f"workflow/scripts/{self.script}",)

    def settings(self, params: Mapping, row: str | None = None) -> tuple[str, ...]:
        return (*TRAIN_COMMON, *recipe_keys(params), *self.reads(params, row))


def row_training_keys(row: str | None) -> tuple[str, ...]:
    """The ``rows.<row>.<key>`` settings a training job depends on (every row key but its label)."""
    if row is None:
        return ()
    return tuple(f"rows.{row}.{key}" for key in ROW_TRAINING_KEYS)


def _row_training_keys() -> tuple[str, ...]:
    """Every key of a row in the schema but those that only name it in reports (its label):
    editing those must not retrain anything."""
    from arc.settings import schema

    return tuple(key for key in schema()["$defs"]["row"]["properties"] if key not in ROW_DISPLAY_KEYS)


ROW_DISPLAY_KEYS = ("label",)
ROW_TRAINING_KEYS = _row_training_keys()


def _attention_reads(params: Mapping, row: str | None) -> tuple[str, ...]:
    keys = ("models.attention", "models.patch_discriminator", "training.attention")
    if setting(params, "training.attention.objective") == "cyclegan":
        keys += ("models.translator", "training.translator")  # A inside a fresh CycleGAN
    return keys


def _flags(*specs: tuple[str, bool, str]) -> tuple[CheckpointFlag, ...]:
    return tuple(CheckpointFlag(*spec) for spec in specs)


def _peer(name: str, help_text: str, flags: tuple[CheckpointFlag, ...]) -> StageKind:
    return StageKind(name, help_text, flags,
                     lambda p, row, name=name: (*(f"models.{m}" for m in PEER_MODELS[name]), f"training.{name}",
                                                *row_training_keys(row)),
                     "train_peer.py", "train_peer")


STAGE_KINDS: dict[str, StageKind] = {kind.name: kind for kind in (
    StageKind("depth", "pretrain D on syn / real / mix data", (),
              lambda p, row: ("models.depth", "training.depth", *row_training_keys(row)),
              "train_depth.py", "train_depth"),
    StageKind("translator", "train T (real->syn) as a CycleGAN with its s2r twin", (),
              lambda p, row: ("models.translator", "models.patch_discriminator", "training.translator"),
              "train_translator.py", "train_translator"),
    StageKind("attention", "pretrain A (the paper's stage 3): with D (and T) fixed, depth L1 + KL sparsity; "
              "or inside a fresh CycleGAN (objective: cyclegan)",
              _flags(("depth", False, "D checkpoint (depth stage; needed unless training.attention.objective is cyclegan)"),
                     ("translator", False, "T checkpoint; A then sees T(x) through D")),
              _attention_reads, "train_attention.py", "train_attention"),
    StageKind("inpainting", "pretrain I on holes from A's masks: L1 + perceptual + style + adversarial",
              _flags(("attention", True, "A checkpoint (attention stage)"),
                     ("translator", False, "T checkpoint (rows with T: I fills holes in T(x))")),
              lambda p, row: ("seed", "models.inpainter", "models.inpaint_discriminator", "models.vgg", "training.inpainting"),
              "train_inpainting.py", "train_inpainting"),
    StageKind("joint", "train D and A jointly (T and I fixed)",
              _flags(("depth", True, "D checkpoint"), ("attention", True, "A checkpoint"), ("translator", False, "T checkpoint"),
                     ("inpainter", False, "I checkpoint (I in the loop, the authors' step 5)")),
              lambda p, row: ("models.attention", "models.patch_discriminator", "training.attention", "training.joint"),
              "train_joint.py", "train_joint"),
    StageKind("finetune", "modular coordinate descent (Alg. 1) for a row, A fixed",
              _flags(("depth", True, "D checkpoint (depth stage)"), ("translator", False, "T checkpoint (rows with T)"),
                     ("attention", False, "A checkpoint (rows with A)"), ("inpainter", False, "I checkpoint (rows with I)")),
              lambda p, row: ("training.finetune", *row_training_keys(row)),
              "train_finetune.py", "train_finetune"),
    _peer("t2net", "peer T2Net: a syn->real translator trained end to end with D (+ supervised real L1)", ()),
    _peer("crdoco", "peer CrDoCo: two depth nets over the frozen CycleGAN, cross-domain consistency (+ real L1)",
          _flags(("translator", True, "translator-stage checkpoint (its CycleGAN, frozen)"))),
    _peer("gasda", "peer GASDA: CycleGAN fine-tuned with two depth nets, consistency; stereo term -> real L1",
          _flags(("translator", True, "translator-stage checkpoint (its CycleGAN, fine-tuned)"))),
)}
STAGES = tuple(STAGE_KINDS)

# Evaluation: predict the real test split with a row's model and score it.
EVALUATE_SCRIPT = "workflow/scripts/evaluate.py"
EVALUATE_CODE = CODE_TRAIN + (EVALUATE_SCRIPT,)


def evaluate_settings(params: Mapping) -> tuple[str, ...]:
    """evaluation.also_protocols only when set: the jobs of presets without it keep their params."""
    also = ("evaluation.also_protocols",) if (params.get("evaluation") or {}).get("also_protocols") else ()
    return ("runtime", "evaluation.protocol", *also)


# What the data jobs read.
PREPARE_SOURCE_SETTINGS = ("benchmark", "seed", "data")
BUILD_CACHE_SETTINGS = ("benchmark", "data")
# What the reports read (every report job): which results exist follows from these; the rho figure
# reads the sweep too, the premise report the D that A learnt against.
REPORT_SETTINGS = ("benchmark", "seeds", "rows", "rho", "evaluation")
RHO_FIGURE_SETTINGS = (*REPORT_SETTINGS, "rho_sweep")
PREMISE_REPORT_SETTINGS = (*REPORT_SETTINGS, "training.attention.depth_row")
TRAINING_CURVES_SETTINGS = ("benchmark", "seeds", "rows", "rho", "rho_sweep", "training.validation")
# The row trained at every rho of rho_sweep (Fig. 3); its run at `rho` is Table 2's ARC: full.
SWEPT_ROW = "arc_full"


def rho_tag(rho: float) -> str:
    """The rho part of run/result folder names (``rho0.85``); identical to how DVC prints the float."""
    return f"rho{rho}"


# --------------------------------------------------------------------------- rows and their plans
# A Table-2 row is a composition of stages (params.yaml `rows`); its plan is the ordered stage
# folders it trains, each named after what the stage reads (see arc/training/rows.py's docstring).


def check_peer_row(spec: dict, key: str) -> str:
    """A peer row is ``stages: [*prerequisites, peer]``, ``modules: []``, ``depth_source: mix``;
    returns the peer's stage name. ``key`` names the row in messages (e.g. "params.yaml: rows.t2net")."""
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
        raise ConfigError(f"'{key}.modules' has {bad}; allowed modules: A, T, I")
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ConfigError(f"'{key}.stages' has unknown stage(s) {unknown}; stages: {list(STAGES)}")
    misplaced = [s for s in stages if s in PEER_STAGES]
    if misplaced:
        raise ConfigError(f"'{key}.stages': the peer stage(s) {misplaced} must come last (a peer row is [*prerequisites, peer])")
    if not stages or stages[0] != "depth":
        raise ConfigError(f"'{key}.stages' must start with 'depth' (D is pretrained first), got {stages}")
    if len(set(stages)) != len(stages):
        raise ConfigError(f"'{key}.stages' lists a stage twice: {stages}")
    if spec.get("depth_source") not in DEPTH_RUN:
        raise ConfigError(f"'{key}.depth_source' = {spec.get('depth_source')!r}: expected one of {sorted(DEPTH_RUN)}")
    for letter, stage in MODULE_STAGE.items():
        if letter in modules and stage not in stages:
            raise ConfigError(f"'{key}.modules' has {letter} but '{key}.stages' lacks {stage!r} (which trains it)")
        if stage in stages and letter not in modules:
            raise ConfigError(f"'{key}.stages' trains {stage!r} but '{key}.modules' lacks {letter}")
    if "I" in modules and "A" not in modules:
        raise ConfigError(f"'{key}.modules': I (inpainting) needs A (its holes come from A)")
    if "joint" in stages and "A" not in modules:
        raise ConfigError(f"'{key}.stages' has 'joint' (D + A) but '{key}.modules' lacks A")
    for i, stage in enumerate(stages):
        late = [s for s in stages[i + 1 :] if s in ORDER_BEFORE.get(stage, ())]
        if late:
            raise ConfigError(f"'{key}.stages': {stage!r} must come after {late} (it uses their checkpoints)")
    return spec



def peer_of(spec: dict) -> str | None:
    """The peer stage a row ends with (t2net, crdoco, gasda), or None for the ARC/baseline rows."""
    stages = spec.get("stages") or []
    return stages[-1] if stages and stages[-1] in PEER_STAGES else None


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
            "depth_folder": DEPTH_RUN.get(depth_source, depth_row), "depth_source": depth_source}


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
            if "depth" in needs and reads["depth_folder"] != made["depth"]:
                # A learns against another row's D (training.attention.depth_row): that D is a step of
                # this row too (the same job as that row's depth stage), so a row trains on its own
                steps.append(StageStep("depth", reads["depth_folder"], {"source": reads["depth_source"]}))
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


