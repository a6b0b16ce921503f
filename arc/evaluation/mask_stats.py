"""Statistics of ARC's attention mask (1 = keep) against the true clutter mask (1 = clutter).

The region ARC removes is ``1 - M``; on SynthRooms we know which pixels are
clutter, so IoU(removed, clutter) says whether A learned to remove clutter.
Both are pooled over all pixels of the test set (an image with neither
removal nor clutter has no IoU of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class MaskStats:
    kept: int = 0
    pixels: int = 0
    intersection: int = 0  # removed & clutter
    union: int = 0  # removed | clutter
    has_clutter_mask: bool = False

    def add(self, keep: np.ndarray, clutter: np.ndarray | None = None) -> None:
        keep = np.asarray(keep, dtype=bool)
        self.kept += int(np.count_nonzero(keep))
        self.pixels += keep.size
        if clutter is not None:
            clutter = np.asarray(clutter, dtype=bool)
            if clutter.shape != keep.shape:
                raise ValueError(f"clutter mask shape {clutter.shape} differs from attention mask shape {keep.shape}")
            removed = ~keep
            self.intersection += int(np.count_nonzero(removed & clutter))
            self.union += int(np.count_nonzero(removed | clutter))
            self.has_clutter_mask = True

    @property
    def keep_rate(self) -> float:
        return self.kept / self.pixels if self.pixels else float("nan")

    @property
    def iou(self) -> float | None:
        """IoU of the removed region with the clutter; None without a clutter mask, 1.0 if both are empty."""
        if not self.has_clutter_mask:
            return None
        return self.intersection / self.union if self.union else 1.0
