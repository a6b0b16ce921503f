"""``DepthDataset``: a torch Dataset over one cache split (memory-mapped, no image decoding).

Item: ``{"rgb": 3xHxW in [-1, 1], "depth": 1xHxW metres, "valid": 1xHxW bool, "index": int}``.
Only with ``eval_extras=True`` (evaluation code, never training code) it adds
``"clutter_mask"`` (1xHxW float, 1 = clutter) and ``"clean_rgb"`` (3xHxW in [-1, 1]),
and ``"clean_depth"`` (1xHxW metres) where the split has them (SynthRooms real splits).
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import Dataset

from arc.data.cache import CacheSplit, open_cache
from arc.data.transforms import rgb_to_tensor


class DepthDataset(Dataset):
    def __init__(self, split_dir: str | os.PathLike, eval_extras: bool = False):
        self.split: CacheSplit = open_cache(split_dir)
        self.eval_extras = eval_extras
        self.manifest = self.split.manifest
        self.names = self.split.names
        self.max_depth = self.split.max_depth
        self.family = self.manifest["family"]
        self.domain = self.manifest["domain"]

    def __len__(self) -> int:
        return len(self.split)

    @property
    def has_clutter_masks(self) -> bool:
        return self.split.has("clutter_mask")

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples in {self.split.path}")
        # np.array copies out of the read-only memory map (torch wants writable memory).
        depth = torch.from_numpy(self.split.depth_m(index))[None]
        item = {
            "rgb": rgb_to_tensor(np.array(self.split.rgb[index])),
            "depth": depth,
            "valid": depth > 0,
            "index": index,
        }
        if self.eval_extras:
            if self.split.has("clutter_mask"):
                item["clutter_mask"] = torch.from_numpy(np.array(self.split.array("clutter_mask")[index], dtype=np.float32))[None]
            if self.split.has("clean_rgb"):
                item["clean_rgb"] = rgb_to_tensor(np.array(self.split.array("clean_rgb")[index]))
            if self.split.has("clean_depth"):
                item["clean_depth"] = torch.from_numpy(self.split.clean_depth_m(index))[None]
        return item
