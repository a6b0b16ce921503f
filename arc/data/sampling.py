"""Seeded split lists, as in the paper (section 4.1):

- NYU: ``n`` random frames from the training pool (BTS ``nyu_train_files_with_gt.txt``: the
  raw "sync" frames of the 284 training scenes), none from the test set, plus a disjoint
  validation sample; for the labelled .mat the pool is ``trainNdxs`` and the test set ``testNdxs``.
- PBRS: 5,000 random frames. KITTI: the first 1,000 frames (sorted by drive and frame) after
  excluding the test drives. vKITTI: all frames of the five variants. Test lists (Eigen 697,
  NYU official 654) are fixed files in ``data/splits/``.

A split list is a text file with one entry per line in the dataset's own format (a BTS line,
an Eigen line, a 1-based index, ``<house>/<cam>``, ...); lines starting with '#' are comments
(the header records how the list was made). Entries are compared through ``entry_key`` so
that e.g. ``/scene/rgb_1.jpg`` and ``scene/rgb_1.jpg`` are the same frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from arc.errors import DataError
from arc.utils.atomic import atomic_write_text
from arc.utils.seeding import derive_seed

MODES = ("random", "first", "all")
DEFAULT_MODE = {"kitti": "first", "vkitti": "all"}


def read_split_list(path: str | os.PathLike) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: split list not found; expected a text file with one entry per line")
    lines = [line.strip() for line in path.read_text().splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    if not entries:
        raise DataError(f"{path}: split list has no entries; expected one entry per line")
    for number, line in enumerate(lines, 1):
        # An entry is a path inside the dataset root; '..' would read files outside it.
        if line and not line.startswith("#") and any(".." in field.replace("\\", "/").split("/") for field in line.split()):
            raise DataError(f"{path}:{number}: entry {line!r} climbs out of the dataset root with '..'; "
                            "expected paths inside the root")
    return entries


def write_split_list(path: str | os.PathLike, entries: list[str], header: dict | None = None) -> Path:
    head = "".join(f"# {k}: {v}\n" for k, v in (header or {}).items())
    return atomic_write_text(path, head + "".join(f"{e}\n" for e in entries))


# --- per-dataset identity of an entry and of its scene ------------------------------------
def entry_key(dataset: str, line: str) -> str:
    fields = line.split()
    if not fields:
        raise DataError(f"empty {dataset} entry")
    if dataset == "nyu":
        return fields[0].lstrip("/")
    if dataset == "nyu-mat":
        try:
            return str(int(fields[0]))
        except ValueError:
            raise DataError(f"NYU labelled entry {line!r}: expected a 1-based frame index") from None
    if dataset == "kitti":
        if len(fields) >= 2 and fields[1].isdigit():
            side = fields[2] if len(fields) > 2 else "l"
            return f"{fields[0].strip('/')} {int(fields[1]):010d} {side}"
        return Path(fields[0]).stem
    return fields[0].strip("/")


def scene_key(dataset: str, line: str) -> str:
    key = entry_key(dataset, line)
    if dataset == "nyu":
        return key.rpartition("/")[0]
    if dataset == "kitti":
        return key.split()[0]
    if dataset in ("pbrs",):
        return key.split("/")[0]
    if dataset == "vkitti":
        return "/".join(key.split("/")[:2])
    return key


def check_indices_in_range(dataset: str, entries: list[str], count: int, source) -> None:
    """For index-based lists (nyu-mat): every index must be in 1..count."""
    for line in entries:
        index = int(entry_key(dataset, line))
        if not 1 <= index <= count:
            raise DataError(f"{source}: index {index} out of range; expected 1..{count} (1-based)")


# --- sampling --------------------------------------------------------------------------------
def sample_split(pool: list[str], *, dataset: str, n: int | None, seed: int, mode: str = "random",
                 exclude: list[str] = (), exclude_scenes: list[str] = (), n_val: int = 0,
                 val_scene_disjoint: bool = False) -> tuple[list[str], list[str]]:
    """(train, val) lists drawn from ``pool`` (lines kept verbatim, in pool order).

    Entries in ``exclude`` and every entry of a scene in ``exclude_scenes`` are removed first.
    ``mode``: random (seeded), first (the first ``n`` in pool order), all (the whole filtered pool).
    The validation sample is drawn at random (seeded) from what is left, optionally from scenes
    the training sample does not use.
    """
    if mode not in MODES:
        raise DataError(f"sampling mode {mode!r}; expected one of {', '.join(MODES)}")
    excluded = {entry_key(dataset, e) for e in exclude}
    excluded_scenes = {scene_key(dataset, e) for e in exclude_scenes}
    seen: set[str] = set()
    candidates = []
    for line in pool:
        key = entry_key(dataset, line)
        if key in excluded or scene_key(dataset, line) in excluded_scenes or key in seen:
            continue
        seen.add(key)
        candidates.append(line)
    if mode == "all":
        n = len(candidates) - n_val if n is None else n
    if n is None or n < 1:
        raise DataError(f"--n must be a positive number of frames for mode {mode!r}")
    if n + n_val > len(candidates):
        raise DataError(
            f"asked for {n} training + {n_val} validation frames but the pool has only {len(candidates)} "
            f"after exclusions; expected at most {len(candidates)} in total"
        )
    rng = np.random.default_rng(derive_seed(seed, "sample", dataset))
    if mode == "random":
        train_idx = np.sort(rng.permutation(len(candidates))[:n])
    else:
        train_idx = np.arange(n)
    train = [candidates[i] for i in train_idx]
    chosen = set(train_idx.tolist())
    train_scenes = {scene_key(dataset, e) for e in train}
    rest = [i for i in range(len(candidates)) if i not in chosen
            and not (val_scene_disjoint and scene_key(dataset, candidates[i]) in train_scenes)]
    if n_val > len(rest):
        raise DataError(
            f"asked for {n_val} validation frames but only {len(rest)} remain after the training sample"
            + (" in scenes it does not use" if val_scene_disjoint else "")
        )
    val_rng = np.random.default_rng(derive_seed(seed, "sample-val", dataset))
    val_idx = np.sort(np.asarray(rest)[val_rng.permutation(len(rest))[:n_val]]) if n_val else np.array([], int)
    val = [candidates[i] for i in val_idx]
    return train, val
