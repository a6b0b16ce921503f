"""Where and how a stage computes: device, CPU threads, TF32 and bf16 autocast.

All settings come from ``params["runtime"]``; nothing here reads the environment
except CUDA availability for ``device: auto``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ContextManager

import torch

from arc.errors import ConfigError
from arc.settings import setting

_DEVICES = ("auto", "cpu", "cuda")
_PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    precision: str  # "fp32" | "bf16"
    num_workers: int
    resume_every_s: float = 600.0  # runtime.resume_every_s (arc.training.hooks.ResumeCheckpointHook)
    loss_readback_steps: int = 50  # runtime.loss_readback_steps (arc.training.loop.Trainer)

    @property
    def pin_memory(self) -> bool:
        """Page-locked batches, so that ``.to(device, non_blocking=True)`` overlaps the copy (CUDA only)."""
        return self.device.type == "cuda"

    @property
    def use_bf16(self) -> bool:
        # bf16 autocast is a CUDA-only speed-up; CPU always runs fp32 (bit-exact resumes).
        return self.device.type == "cuda" and self.precision == "bf16"

    def autocast(self) -> ContextManager[Any]:
        if self.use_bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()


def resolve_device(name: str) -> torch.device:
    if name not in _DEVICES:
        raise ConfigError(f"runtime.device must be one of {list(_DEVICES)}, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("runtime.device is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    return torch.device(name)


def setup_runtime(params: dict) -> Runtime:
    """Apply params.runtime (threads, TF32) and return the resolved runtime."""
    precision = setting(params, "runtime.precision")
    if precision not in _PRECISIONS:
        raise ConfigError(f"runtime.precision must be one of {list(_PRECISIONS)}, got {precision!r}")
    threads = int(setting(params, "runtime.num_threads"))
    if threads < 1:
        raise ConfigError(f"runtime.num_threads must be >= 1, got {threads}")
    workers = int(setting(params, "runtime.num_workers"))
    if workers < 0:
        raise ConfigError(f"runtime.num_workers must be >= 0, got {workers}")
    resume_every_s = setting(params, "runtime.resume_every_s")
    if isinstance(resume_every_s, bool) or not isinstance(resume_every_s, (int, float)) or not resume_every_s >= 0:
        raise ConfigError(f"runtime.resume_every_s = {resume_every_s!r}: expected a number of seconds >= 0")
    readback = setting(params, "runtime.loss_readback_steps")
    if isinstance(readback, bool) or not isinstance(readback, int) or readback < 1:
        raise ConfigError(f"runtime.loss_readback_steps = {readback!r}: expected an integer >= 1")
    device = resolve_device(setting(params, "runtime.device"))
    torch.set_num_threads(threads)
    if device.type == "cuda":
        tf32 = precision == "bf16"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        # Fixed input sizes: let cuDNN pick the fastest convolution algorithms once.
        torch.backends.cudnn.benchmark = True
    return Runtime(device=device, precision=precision, num_workers=workers, resume_every_s=float(resume_every_s),
                   loss_readback_steps=readback)
