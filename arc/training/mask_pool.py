"""The authors' mask buffer for I's stage (``training.inpainting.losses: authors``).

Their Mask_Buffer(500) (train_inpainting_module_I.py:47-83, a variant of CycleGAN's ImagePool
with the 50 % branch commented out): each of A's binarised masks of a batch, in order,
- while fewer than ``capacity`` masks are stored: is stored and returned as it is;
- afterwards: a stored mask at a uniformly drawn slot is returned and the new mask takes its slot.
So once full, I never trains on the current image's own mask, but on one of A's past masks.
The draws use the caller's torch.Generator (their code uses Python's ``random``). Masks are
kept as bool on the masks' device (500 masks of 240x320 = 38 MB). The buffer is not part of a
checkpoint: a resumed stage starts with an empty buffer.
"""

from __future__ import annotations

import torch


class MaskPool:
    def __init__(self, capacity: int = 500):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise ValueError(f"MaskPool: capacity = {capacity!r}: expected an integer >= 0")
        self.capacity = capacity
        self.masks: list[torch.Tensor] = []

    def __len__(self) -> int:
        return len(self.masks)

    def query(self, masks: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """B x 1 x H x W binary masks in -> B masks out (same dtype), the buffer updated."""
        if self.capacity == 0:
            return masks
        out = []
        for mask in masks:
            stored = mask.detach() > 0.5
            if len(self.masks) < self.capacity:
                self.masks.append(stored)
                out.append(mask.detach())
                continue
            slot = int(torch.randint(self.capacity, (1,), generator=generator, device=generator.device))
            out.append(self.masks[slot].to(masks.dtype))
            self.masks[slot] = stored
        return torch.stack(out)
