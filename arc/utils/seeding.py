"""Seeding: every run derives all randomness from the seed in params.yaml."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, deterministic: bool = True) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic and torch.cuda.is_available():
        # CPU kernels are already deterministic at a fixed thread count; only CUDA needs the switch.
        # (It is not set on CPU because it imports torch._inductor: ~3 s per workflow job.)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)


def derive_seed(base_seed: int, *keys: object) -> int:
    """A stable sub-seed for a named purpose (e.g. ``derive_seed(0, "val-split")``)."""
    import hashlib

    text = "/".join([str(base_seed), *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def numpy_rng(base_seed: int, *keys: object) -> np.random.Generator:
    return np.random.default_rng(derive_seed(base_seed, *keys))
