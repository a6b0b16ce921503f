"""Helpers for the training tests: a tiny benchmark cache in the documented format
(manifest.json + rgb.npy + depth.npy per split) and tiny network/training settings."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
SPLITS = {"syn_train": "synthetic", "real_train": "real", "real_val": "real", "real_test": "real"}


def write_split(split_dir: Path, *, split: str, domain: str, count: int, height: int, width: int, seed: int, max_depth: float = 10.0) -> None:
    rng = np.random.default_rng(seed)
    split_dir.mkdir(parents=True, exist_ok=True)
    # Depth varies smoothly with the row (floor-like) and the image brightness follows it, so
    # there is something to learn; real images get "clutter" blobs.
    rows = np.linspace(1.0, max_depth * 0.8, height, dtype=np.float32)[:, None]
    depth = np.broadcast_to(rows, (count, height, width)).copy() * rng.uniform(0.7, 1.0, (count, 1, 1)).astype(np.float32)
    rgb = np.clip(255 * (1 - depth[..., None] / max_depth) + rng.normal(0, 12, (count, height, width, 3)), 0, 255).astype(np.uint8)
    if domain == "real":
        rgb[:, : height // 4, : width // 4] = rng.integers(0, 255, (count, 1, 1, 3), dtype=np.uint8)
    depth[:, 0, 0] = 0.0  # an invalid pixel per image
    depth_scale = 0.001
    np.save(split_dir / "rgb.npy", rgb)
    np.save(split_dir / "depth.npy", np.round(depth / depth_scale).astype(np.uint16))
    manifest = {
        "format": "arc-cache/1",
        "benchmark": "tiny-test",
        "dataset": "tiny",
        "family": "indoor",
        "domain": domain,
        "split": split,
        "count": count,
        "height": height,
        "width": width,
        "max_depth": max_depth,
        "depth_scale": depth_scale,
        "names": [f"{split}_{i:03d}" for i in range(count)],
        "arrays": {"rgb": "rgb.npy", "depth": "depth.npy"},
        "eval_only": [],
    }
    (split_dir / "manifest.json").write_text(json.dumps(manifest))


def make_tiny_cache(root: Path, *, height: int = 32, width: int = 32, counts: dict | None = None) -> Path:
    counts = {"syn_train": 8, "real_train": 6, "real_val": 4, "real_test": 4, **(counts or {})}
    for i, (split, domain) in enumerate(SPLITS.items()):
        write_split(root / split, split=split, domain=domain, count=counts[split], height=height, width=width, seed=i)
    return root


def tiny_params() -> dict:
    """params.yaml with tiny networks, batch 4 and one epoch per stage."""
    params = copy.deepcopy(yaml.safe_load((REPO / "params.yaml").read_text()))
    params["runtime"].update(device="cpu", precision="fp32", num_threads=1, num_workers=0,
                             resume_every_s=0)  # last.pt after every epoch: the kill/resume tests stop mid-stage
    params["models"].update(
        depth={"base_width": 4, "num_downsamples": 2, "num_inception_blocks": 1},
        attention={"base_width": 4, "num_res_blocks": 1},
        translator={"base_width": 4, "num_downsamples": 1, "num_res_blocks": 1},
        inpainter={"base_width": 4, "num_downsamples": 1, "num_res_blocks": 1},
        patch_discriminator={"base_width": 4, "num_layers": 2},
        inpaint_discriminator={"base_width": 4},
    )
    params["models"]["vgg"] = {"arch": "vgg16", "weights": None, "fallback": "random"}
    params["optim"].update(batch_size=4, schedule="paper")
    for stage in ("depth", "translator", "attention", "inpainting", "joint", "t2net", "crdoco", "gasda"):
        params["training"][stage]["epochs"] = 1
    params["training"]["gasda"]["pretrain_epochs"] = 1  # both of its phases run
    params["models"]["feature_discriminator"] = {"hidden_width": 8}
    # The mechanics these tests check were written for the paper text's alternating fine-tuning at
    # rho 0.85 on the level-1 benchmark (the demo before it moved to level 3): pinned here.
    params["training"]["finetune"] = {"iterations": 1, "epochs_per_step": 1}
    params["rho"], params["rho_sweep"] = 0.85, [0.75, 0.85, 0.95, 0.99999]
    for key in ("clutter_strength", "clutter_looks"):
        params["data"]["synthrooms"]["indoor"].pop(key, None)
    return params
