"""The authors' mask buffer for I's stage (``training.inpainting.losses: authors``).

Their Mask_Buffer(500) (train_inpainting_module_I.py:47-83, a variant of CycleGAN's ImagePool
with the 50 % branch commented out): each of A's binarised masks of a batch, in order,
- while fewer than ``capacity`` masks are stored: is stored and returned as it is;
- afterwards: a stored mask at a uniformly drawn slot is returned and the new mask takes its slot.
So once full, I never trains on the current image's own mask, but on one of A's past masks.
The draws use the caller's torch.Generator (their code uses Python's ``random``), one draw per
mask as before. The masks are kept as bool in one tensor on the masks' device (500 masks of
240x320 = 38 MB), and the slots are drawn and used on that device: a query never waits for the
device. The pool is a hook of its stage: its masks are part of the resume state (last.pt), so a
resumed stage draws from the same buffer as an uninterrupted one.
"""

from __future__ import annotations

import torch

from arc.training.loop import Hook


class MaskPool(Hook):
    name = "mask_pool"

    def __init__(self, capacity: int = 500):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise ValueError(f"MaskPool: capacity = {capacity!r}: expected an integer >= 0")
        self.capacity = capacity
        self.count = 0  # masks stored (a host number: filling needs no device read)
        self.buffer: torch.Tensor | None = None  # capacity x 1 x H x W bool, allocated at the first query

    def __len__(self) -> int:
        return self.count

    @property
    def masks(self) -> torch.Tensor:
        """The stored masks, count x 1 x H x W bool (a view of the buffer)."""
        return self.buffer[: self.count] if self.buffer is not None else torch.zeros(0, dtype=torch.bool)

    def _buffer_for(self, masks: torch.Tensor) -> torch.Tensor:
        if self.buffer is None:
            self.buffer = torch.zeros((self.capacity, *masks.shape[1:]), dtype=torch.bool, device=masks.device)
        elif self.buffer.device != masks.device:
            self.buffer = self.buffer.to(masks.device)
        return self.buffer

    def query(self, masks: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """B x 1 x H x W binary masks in -> B masks out (same dtype), the buffer updated."""
        if self.capacity == 0:
            return masks
        masks = masks.detach()
        stored = masks > 0.5
        buffer = self._buffer_for(masks)
        out = masks.clone()
        fill = min(self.capacity - self.count, masks.shape[0])
        if fill:
            buffer[self.count : self.count + fill] = stored[:fill]
            self.count += fill
        for i in range(fill, masks.shape[0]):
            slot = torch.randint(self.capacity, (1,), generator=generator, device=generator.device).to(buffer.device)
            out[i] = buffer.index_select(0, slot)[0].to(masks.dtype)
            buffer.index_copy_(0, slot, stored[i : i + 1])
        return out

    def state_dict(self) -> dict:
        masks = None if self.buffer is None else self.buffer[: self.count].to("cpu", copy=True)
        return {"count": self.count, "masks": masks}

    def load_state_dict(self, state: dict) -> None:
        self.count = int(state["count"])
        self.buffer = None
        if state["masks"] is not None:
            masks = state["masks"]
            self.buffer = torch.zeros((self.capacity, *masks.shape[1:]), dtype=torch.bool)
            self.buffer[: self.count] = masks
