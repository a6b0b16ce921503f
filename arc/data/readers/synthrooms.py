"""Reader for a generated SynthRooms directory (see ``arc.data.synthrooms.generate``).

``SynthRoomsReader(root, split)`` yields the split's samples; real splits carry
the evaluation-only extras (``clutter_mask`` uint8 0/1, ``clean_rgb``,
``clean_depth`` metres) in ``Record.extras``. Without a split, entries are
``<split>/<name>`` over all splits (used by ``arc data inspect``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.data.readers.base import Reader, Record, check_pair, read_depth_png, read_mask_png, read_rgb, require_dir
from arc.data.synthrooms.generate import EVAL_ONLY_FOLDERS, SPLIT_DOMAINS, read_meta
from arc.errors import DataError


class SynthRoomsReader(Reader):
    dataset = "synthrooms"

    def __init__(self, root, split: str | None = None):
        self.root = require_dir(Path(root), "a SynthRooms directory written by `arc data generate`")
        self.meta = read_meta(self.root)
        self.family = self.meta["family"]
        self.max_depth = float(self.meta["max_depth"])
        self.depth_scale = float(self.meta["depth_scale"])
        if split is not None and split not in self.meta["splits"]:
            raise DataError(
                f"{self.root}: no split {split!r}; expected one of {', '.join(self.meta['splits'])}"
            )
        self.split = split
        self.domain = SPLIT_DOMAINS[split] if split else ""

    def entries(self) -> list[str]:
        splits = [self.split] if self.split else list(self.meta["splits"])
        out = []
        for split in splits:
            names = sorted(p.stem for p in (self.root / split / "rgb").glob("*.png"))
            expected = self.meta["splits"][split]["count"]
            if len(names) != expected:
                raise DataError(
                    f"{self.root / split / 'rgb'}: {len(names)} images; meta.json says {expected} -- regenerate it"
                )
            out += names if self.split else [f"{split}/{n}" for n in names]
        return out

    def parse_entry(self, line: str) -> str:
        text = line.strip()
        if self.split is None and "/" not in text:
            raise DataError(f"SynthRooms entry {text!r}: expected '<split>/<name>' when no split is chosen")
        return text

    def scene_of(self, entry: str) -> str:
        return entry  # every sample is its own scene

    def _depth(self, path: Path) -> np.ndarray:
        return read_depth_png(path).astype(np.float32) * self.depth_scale

    def read(self, entry: str) -> Record:
        entry = self.parse_entry(entry)
        split, name = (self.split, entry) if self.split else entry.split("/", 1)
        folder = self.root / split
        rgb_path, depth_path = folder / "rgb" / f"{name}.png", folder / "depth" / f"{name}.png"
        rgb, depth = read_rgb(rgb_path), self._depth(depth_path)
        check_pair(name, rgb, depth, rgb_path, depth_path)
        extras = {}
        if SPLIT_DOMAINS[split] == "real":
            for key in EVAL_ONLY_FOLDERS:
                path = folder / key / f"{name}.png"
                if key == "clutter_mask":
                    extras[key] = (read_mask_png(path) > 0).astype(np.uint8)
                elif key == "clutter_kind":
                    extras[key] = read_mask_png(path).astype(np.uint8)
                elif key == "clean_rgb":
                    extras[key] = read_rgb(path)
                else:
                    extras[key] = self._depth(path)
        return Record(name if self.split else f"{split}_{name}", rgb, depth, extras)

