"""Self-describing checkpoints.

Two kinds of files per stage directory, both plain dicts of tensors and primitive
containers (they load with ``torch.load(weights_only=True)``):

checkpoint.pt -- the selected model (model selection on real_val):
    {"format": "arc-checkpoint/1", "kind": "selected", "stage": str,
     "modules": {role: {"name": registry name, "kwargs": {...}, "state_dict": {...}}},
     "meta": {"epoch", "step", "seed", "row", "rho", "max_depth", "height", "width",
              "benchmark", "selection", "val": {metric: value}, ...}}
    ``modules`` holds the pipeline roles (depth / attention / translator / inpainter) of the
    row so far: what the stage trained plus what it carried over from its upstream checkpoints.
    A model that averages several pipelines (GASDA: D(x) and D_syn(T(x))) names them in
    ``meta["branches"]``: a list of {pipeline role: key in ``modules``}, one per branch;
    ``load_pipeline`` then returns a ``BranchMeanPipeline``.

feed.pt -- only where ``training.<stage>.feed_fraction`` < 1 (translator, attention, inpainting;
    the authors' recipe): the same content as checkpoint.pt (``"kind": "feed"``) taken at epoch
    round(fraction * epochs). A later stage given the folder's checkpoint.pt loads feed.pt instead
    (:func:`upstream_checkpoint`), so the workflow's inputs and command lines stay the same.

last.pt -- the resume state, written at the end of every epoch:
    {"format", "kind": "resume", "stage", "fingerprint", "epochs_done", "step",
     "modules": {role: record} (every network incl. discriminators and the s2r twin),
     "optimizers": {name: optimizer.state_dict()}, "rng": {...}, "hooks": {name: state}}
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn as nn

from arc.errors import CheckpointError
from arc.models.registry import build_model, model_spec
from arc.utils.atomic import atomic_torch_save

FORMAT = "arc-checkpoint/1"
SELECTED_NAME = "checkpoint.pt"
FEED_NAME = "feed.pt"
PIPELINE_ROLES = ("depth", "attention", "translator", "inpainter")
# Which stage (and CLI) produces each pipeline module; used in "missing upstream" messages.
PRODUCER = {
    "depth": "the depth stage (`arc train depth`)",
    "attention": "the attention stage (`arc train attention`)",
    "translator": "the translator stage (`arc train translator`)",
    "inpainter": "the inpainting stage (`arc train inpainting`)",
    # The translator stage's checkpoint also holds the rest of its CycleGAN, for the peers.
    "translator_s2r": "the translator stage (`arc train translator`)",
    "disc_syn": "the translator stage (`arc train translator`)",
    "disc_real": "the translator stage (`arc train translator`)",
}


def resolve_checkpoint_path(path: str | Path) -> Path:
    """A run directory means its selected ``checkpoint.pt``."""
    path = Path(path)
    return path / "checkpoint.pt" if path.is_dir() else path


def upstream_checkpoint(path: str | Path) -> Path:
    """The file a later stage loads from an upstream run: the run's feed.pt where its stage wrote
    one (training.<stage>.feed_fraction < 1), else the given (selected) checkpoint."""
    path = resolve_checkpoint_path(path)
    feed = path.with_name(FEED_NAME)
    return feed if path.name == SELECTED_NAME and feed.is_file() else path


def read_checkpoint(path: str | Path, *, needed_for: str | None = None, role: str | None = None) -> dict:
    """Load a checkpoint dict (weights only); clear errors for missing or foreign files."""
    path = resolve_checkpoint_path(path)
    if not path.is_file():
        what = f" (needed for {needed_for})" if needed_for else ""
        producer = f"; it is produced by {PRODUCER[role]}" if role in PRODUCER else ""
        raise CheckpointError(f"checkpoint {path} does not exist{what}{producer}")
    expected = f"expected an ARC checkpoint ({FORMAT}: a checkpoint.pt or last.pt written by `arc train`)"
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is an empty file; {expected}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 -- a foreign file fails in the unpickler in many ways (KeyError, ...)
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        reason = f"torch.load: {type(exc).__name__}" + (f" {detail}" if detail else "")
        raise CheckpointError(f"checkpoint {path} is not a PyTorch checkpoint file ({reason}); {expected}. If `arc train` "
                              f"wrote it, the file is damaged; delete {path.parent} and rerun the stage that writes it") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(f"checkpoint {path} is not an ARC checkpoint (format {found!r}, expected {FORMAT!r})")
    _verify_digest(path, data)
    return data


# --- checksums: a file written by `arc train` carries the digest of its content ---------------
# The digest covers every tensor's bytes (dtype, shape) and every other value's repr, in the dict's
# order, so a bit flipped on disk after publishing is found on load (files of other origin, without
# "sha256", load unchecked). It lives inside the one file: there is no moment at which a file and a
# separate checksum disagree because a writer was killed between the two.


def content_digest(obj: Any) -> str:
    digest = hashlib.sha256()

    def walk(value: Any) -> None:
        if isinstance(value, torch.Tensor):
            flat = value.detach().to("cpu").contiguous().reshape(-1)
            digest.update(f"T{value.dtype}{tuple(value.shape)}".encode())
            digest.update(flat.view(torch.uint8).numpy())
        elif isinstance(value, dict):
            digest.update(b"{")
            for key, item in value.items():
                walk(key)
                walk(item)
            digest.update(b"}")
        elif isinstance(value, (list, tuple)):
            digest.update(b"[" if isinstance(value, list) else b"(")
            for item in value:
                walk(item)
            digest.update(b"]")
        else:
            digest.update(repr((type(value).__name__, value)).encode())

    walk(obj)
    return digest.hexdigest()


def _verify_digest(path: Path, data: dict) -> None:
    expected = data.pop("sha256", None)
    if expected is not None and content_digest(data) != expected:
        raise CheckpointError(
            f"checkpoint {path} does not match the checksum written with it: the file changed after it was "
            f"written (a disk or copy fault); delete {path.parent} and rerun the stage that writes it"
        )


def save_checked(path: str | Path, obj: Mapping[str, Any]) -> None:
    """Write a checkpoint dict (atomically) with the digest of its content."""
    obj = dict(obj)
    obj["sha256"] = content_digest(obj)
    atomic_torch_save(path, obj)


def read_resume_state(path: str | Path) -> dict:
    """last.pt for resuming; an unreadable or corrupted one (e.g. truncated by a full disk) names the way out."""
    try:
        return read_checkpoint(path)
    except CheckpointError as exc:
        message = str(exc).split("; delete ", 1)[0]
        raise CheckpointError(
            f"{message}. It is this stage's resume state: delete {path} (or pass --no-resume) to train the stage from scratch"
        ) from None


def module_record(module: nn.Module) -> dict:
    """{"name", "kwargs", "state_dict"} for a network built with ``build_model``."""
    spec = model_spec(module)
    if spec is None:
        raise TypeError(f"{type(module).__name__} was not built with arc.models.build_model; cannot describe it")
    state = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
    return {"name": spec["name"], "kwargs": spec["kwargs"], "state_dict": state}


def load_state_checked(module: nn.Module, state_dict: Mapping[str, torch.Tensor], *, path: Path, role: str) -> None:
    """load_state_dict with an error that names the file, module and mismatched shapes."""
    own = module.state_dict()
    mismatched = [
        f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(own[key].shape)}"
        for key, value in state_dict.items()
        if key in own and tuple(value.shape) != tuple(own[key].shape)
    ]
    missing = sorted(set(own) - set(state_dict) - set(getattr(module, "optional_state_keys", ())))
    unexpected = sorted(set(state_dict) - set(own))
    if mismatched or missing or unexpected:
        spec = model_spec(module)
        name = spec["name"] if spec else type(module).__name__
        parts = []
        if mismatched:
            parts.append("mismatched parameter shapes: " + "; ".join(mismatched[:8]) + (" ..." if len(mismatched) > 8 else ""))
        if missing:
            parts.append(f"missing in checkpoint: {missing[:5]}" + (" ..." if len(missing) > 5 else ""))
        if unexpected:
            parts.append(f"not in model: {unexpected[:5]}" + (" ..." if len(unexpected) > 5 else ""))
        raise CheckpointError(
            f"checkpoint {path}: module {role!r} ({name}, settings {spec['kwargs'] if spec else {}}) does not fit "
            f"the stored weights -- {' | '.join(parts)}. Were the models.* widths in params.yaml changed after "
            f"this checkpoint was trained? Retrain it or restore the settings."
        )
    module.load_state_dict(state_dict)


def module_from_record(record: Mapping, *, path: Path, role: str, spec: Mapping | None = None) -> nn.Module:
    """Build a network and load its weights.

    ``spec`` ({"name", "kwargs"}, from params.yaml) forces the architecture the current settings
    ask for, so a stale upstream checkpoint fails loudly; without it the stored spec is used.
    """
    spec = spec or {"name": record["name"], "kwargs": record["kwargs"]}
    if spec["name"] != record["name"]:
        raise CheckpointError(
            f"checkpoint {path}: module {role!r} is a {record['name']!r} network, expected {spec['name']!r}"
        )
    module = build_model(spec["name"], **dict(spec["kwargs"]))
    load_state_checked(module, record["state_dict"], path=path, role=role)
    return module


def load_module(path: str | Path, role: str, *, needed_for: str, spec: Mapping | None = None) -> nn.Module:
    """One module (by role) from an upstream stage's checkpoint."""
    path = resolve_checkpoint_path(path)
    data = read_checkpoint(path, needed_for=needed_for, role=role)
    record = data["modules"].get(role)
    if record is None:
        raise CheckpointError(
            f"checkpoint {path} (stage {data.get('stage')!r}) holds modules {sorted(data['modules'])}, "
            f"not {role!r} (needed for {needed_for}); {role} is produced by {PRODUCER.get(role, 'another stage')}"
        )
    return module_from_record(record, path=path, role=role, spec=spec)


def pipeline_records(path: str | Path, *, needed_for: str) -> dict[str, dict]:
    """The pipeline-module records an upstream checkpoint carries (to pass on downstream)."""
    data = read_checkpoint(path, needed_for=needed_for)
    return {role: rec for role, rec in data["modules"].items() if role in PIPELINE_ROLES}


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(resolve_checkpoint_path(path), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_selected(path: Path, *, stage: str, modules: Mapping[str, dict], meta: Mapping[str, Any]) -> None:
    save_checked(path, {"format": FORMAT, "kind": "selected", "stage": stage, "modules": dict(modules), "meta": dict(meta)})


def save_feed(path: Path, *, stage: str, modules: Mapping[str, dict], meta: Mapping[str, Any]) -> None:
    atomic_torch_save(path, {"format": FORMAT, "kind": "feed", "stage": stage, "modules": dict(modules), "meta": dict(meta)})


def load_pipeline(path: str | Path, device: str | torch.device = "cpu"):
    """Rebuild an ARCPipeline (eval mode) from a checkpoint file or run directory.

    The stage metadata (max_depth, input size, rho, ...) is attached as ``pipeline.arc_meta``.
    """
    from arc.models.pipeline import ARCPipeline

    path = resolve_checkpoint_path(path)
    data = read_checkpoint(path, needed_for="building the prediction pipeline")
    records = data["modules"]
    if "depth" not in records:
        raise CheckpointError(
            f"checkpoint {path} (stage {data.get('stage')!r}) has no depth module; use the checkpoint of a stage "
            f"that includes D (depth, attention, joint, finetune)"
        )
    branches = data.get("meta", {}).get("branches")
    if branches:
        pipeline = _branch_mean_pipeline(records, branches, path).to(device).eval()
    else:
        modules = {role: module_from_record(records[role], path=path, role=role) if role in records else None for role in PIPELINE_ROLES}
        pipeline = ARCPipeline(**modules).to(device).eval()
    pipeline.arc_meta = dict(data.get("meta", {}))
    return pipeline


def _branch_mean_pipeline(records: Mapping[str, dict], branches, path: Path):
    """One ARCPipeline per ``meta["branches"]`` entry ({pipeline role: key in modules}), averaged."""
    from arc.models.pipeline import ARCPipeline, BranchMeanPipeline

    built = []
    for i, branch in enumerate(branches):
        unknown_roles = sorted(set(branch) - set(PIPELINE_ROLES))
        missing = sorted(key for key in branch.values() if key not in records)
        if unknown_roles or missing or "depth" not in branch:
            raise CheckpointError(
                f"checkpoint {path}: meta.branches[{i}] = {branch} must map pipeline roles {list(PIPELINE_ROLES)} "
                f"(depth included) to modules of the file {sorted(records)}"
            )
        built.append(ARCPipeline(**{role: module_from_record(records[key], path=path, role=key) for role, key in branch.items()}))
    return BranchMeanPipeline(built)


# --- RNG state (stored as tensors / primitives so weights_only loading works) -------------


def capture_rng() -> dict:
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy_keys": torch.from_numpy(np_state[1].astype(np.int64)),
        "numpy_pos": int(np_state[2]),
        "python": list(random.getstate()[1]),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: Mapping) -> None:
    torch.set_rng_state(state["torch"])
    keys = state["numpy_keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, int(state["numpy_pos"]), 0, 0.0))
    random.setstate((3, tuple(int(v) for v in state["python"]), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
