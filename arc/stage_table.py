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

from dataclasses import dataclass
from typing import Callable, Mapping

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
    import json
    from pathlib import Path

    schema = json.loads((Path(__file__).with_name("params.schema.json")).read_text())
    return tuple(key for key in schema["$defs"]["row"]["properties"] if key not in ROW_DISPLAY_KEYS)


ROW_DISPLAY_KEYS = ("label",)
ROW_TRAINING_KEYS = _row_training_keys()


def _attention_reads(params: Mapping, row: str | None) -> tuple[str, ...]:
    keys = ("models.attention", "models.patch_discriminator", "training.attention")
    from arc.settings import setting

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


# What the reports read (every report job): which results exist follows from these.
REPORT_SETTINGS = ("benchmark", "seeds", "rows", "rho", "evaluation")
# The row trained at every rho of rho_sweep (Fig. 3); its run at `rho` is Table 2's ARC: full.
SWEPT_ROW = "arc_full"


def rho_tag(rho: float) -> str:
    """The rho part of run/result folder names (``rho0.85``); identical to how DVC prints the float."""
    return f"rho{rho}"
