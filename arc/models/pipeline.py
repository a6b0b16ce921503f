"""ARCPipeline: real image -> [T] -> [A mask] -> [I fill] -> D (paper Fig. 2, eq. 3).

    translated = T(x)                     (identity without T)
    M          = mask from A(x)           (A sees the RAW image; M = 1 keeps a pixel)
    masked     = M * translated
    inpainted  = (1 - M) * I(masked) + M * translated   (identity without I)
    depth_unit = D(inpainted)             (depth in [-1, 1])

Hard (binary) masks -- the default in eval mode -- compose with ``torch.where``
so kept pixels are bit-for-bit those of ``translated``; soft Gumbel-sigmoid
masks (training, temperature ``tau``) use the arithmetic form so gradients
reach A through both terms.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from arc.models.gumbel import evaluation_mask, gumbel_sigmoid
from arc.models.registry import build_model, model_spec

MODULE_ROLES = ("depth", "attention", "translator", "inpainter")


def compose_inpainting(
    image: torch.Tensor, mask: torch.Tensor, filled: torch.Tensor, hard: bool
) -> torch.Tensor:
    """x_tilde = (1 - M) * filled + M * image; exact copy of ``image`` where a hard M is 1."""
    if hard:
        return torch.where(mask.bool(), image, filled)
    return (1.0 - mask) * filled + mask * image


class ARCPipeline(nn.Module):
    def __init__(
        self,
        depth: nn.Module,
        attention: nn.Module | None = None,
        translator: nn.Module | None = None,
        inpainter: nn.Module | None = None,
    ):
        super().__init__()
        self.depth = depth
        self.attention = attention
        self.translator = translator
        self.inpainter = inpainter

    def forward(
        self,
        x: torch.Tensor,
        tau: float | None = None,
        hard: bool | None = None,
        generator: torch.Generator | None = None,
        noise_cell: int = 1,
        mask: torch.Tensor | None = None,
        noise: str = "logistic",
        mask_fp32: bool = False,
    ) -> dict[str, torch.Tensor | None]:
        """Run every present module; ``hard`` defaults to ``not self.training``.

        ``mask`` (Bx1xHxW, 1 = keep) replaces A's hard mask: the oracle-mask rows feed the true
        clutter mask through the same T, I and D; without A (ARC: T's pipeline) the given mask's
        removed pixels get A's training fill, 0, or I's fill where there is an I.

        Returns ``translated, mask_logits, mask, masked, inpainted, net_input,
        depth_unit``; ``mask``/``mask_logits`` are None without an attention module.
        """
        translated = self.translator(x) if self.translator is not None else x
        given_mask, mask_logits, mask = mask, None, None
        masked = inpainted = translated
        if self.attention is not None or given_mask is not None:
            use_hard = (not self.training) if hard is None else bool(hard)
            mask_logits = self.attention(x) if self.attention is not None else None
            if given_mask is not None:
                if given_mask.shape[-2:] != x.shape[-2:]:
                    raise ValueError(f"ARCPipeline: given mask {tuple(given_mask.shape)} does not match the image {tuple(x.shape)}")
                use_hard = True
                mask = given_mask.to(dtype=translated.dtype, device=translated.device)
            elif use_hard:
                mask = evaluation_mask(self.attention, mask_logits)
            else:
                if tau is None:
                    raise ValueError(
                        "ARCPipeline: a soft (Gumbel-sigmoid) mask needs a temperature tau; "
                        "pass tau=..., or hard=True for the binary evaluation mask"
                    )
                mask = gumbel_sigmoid(mask_logits, tau, generator=generator, noise_cell=noise_cell, noise=noise, fp32=mask_fp32)
            masked = mask * translated
            if self.inpainter is not None:
                inpainted = compose_inpainting(translated, mask, self.inpainter(masked), use_hard)
            else:
                inpainted = masked
        return {
            "translated": translated,
            "mask_logits": mask_logits,
            "mask": mask,
            "masked": masked,
            "inpainted": inpainted,
            "net_input": inpainted,
            "depth_unit": self.depth(inpainted),
        }

    def describe(self) -> dict[str, dict[str, Any] | None]:
        """``{role: {"name", "kwargs"} | None}`` for depth/attention/translator/inpainter.

        Modules not built through ``build_model`` are described as
        ``{"name": None, "kwargs": {}, "class": <class name>}`` (they cannot be rebuilt by name).
        """
        description: dict[str, dict[str, Any] | None] = {}
        for role in MODULE_ROLES:
            module = getattr(self, role)
            if module is None:
                description[role] = None
            else:
                description[role] = model_spec(module) or {"name": None, "kwargs": {}, "class": type(module).__name__}
        return description

    @classmethod
    def from_description(cls, description: dict[str, dict[str, Any] | None]) -> "ARCPipeline":
        """Rebuild (untrained) modules from ``describe()`` output; load weights afterwards."""
        modules = {}
        for role in MODULE_ROLES:
            spec = description.get(role)
            if spec is None:
                modules[role] = None
                continue
            if spec.get("name") is None:
                raise ValueError(f"ARCPipeline: module {role!r} was not built by name and cannot be rebuilt")
            modules[role] = build_model(spec["name"], **spec.get("kwargs", {}))
        if modules["depth"] is None:
            raise ValueError("ARCPipeline: the description has no depth module")
        return cls(**modules)


class BranchMeanPipeline(nn.Module):
    """Several ARCPipelines on the same image; the depth is the mean of their ``depth_unit``
    (GASDA's test rule: D_real(x) and D_syn(T(x)) averaged). The other outputs (translated,
    mask, ...) are those of the first branch, so code that reads them keeps working."""

    attention = None  # no branch set carries an attention mask (see arc.evaluation.predict.mask_capable)

    def __init__(self, branches: list[ARCPipeline]):
        super().__init__()
        if len(branches) < 2:
            raise ValueError(f"BranchMeanPipeline: expected at least 2 branches, got {len(branches)}")
        if any(b.attention is not None for b in branches):
            raise ValueError("BranchMeanPipeline: branches with an attention module are not supported")
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor, tau: float | None = None, hard: bool | None = None,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor | None]:
        outs = [branch(x, tau=tau, hard=hard, generator=generator) for branch in self.branches]
        first = dict(outs[0])
        first["depth_unit"] = torch.stack([out["depth_unit"] for out in outs]).mean(dim=0)
        return first
