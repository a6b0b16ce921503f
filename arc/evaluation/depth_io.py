"""Reading depth maps and attention masks from folders of files.

Depth files: ``.npy`` (float metres, times an optional scale) or 16-bit
``.png`` (integer units; metres = value * scale, the scale must be stated:
e.g. 0.001 for millimetres, 1/256 for KITTI). Masks: 8-bit PNG, 255 = kept.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from arc.errors import DataError
from arc.utils.atomic import atomic_write_bytes

DEPTH_SUFFIXES = (".npy", ".png")


def index_depth_folder(folder: str | Path, what: str = "depth") -> dict[str, Path]:
    """Map file stem -> path for the depth files (.npy/.png) in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{what} folder {folder} does not exist (expected a folder of .npy or 16-bit .png depth maps)")
    index: dict[str, Path] = {}
    duplicates = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in DEPTH_SUFFIXES or not path.is_file():
            continue
        if path.stem in index:
            duplicates.append(f"{index[path.stem].name} / {path.name}")
        index[path.stem] = path
    if duplicates:
        raise DataError(f"{what} folder {folder} has several files per name: {', '.join(duplicates[:5])}")
    if not index:
        raise DataError(f"{what} folder {folder} holds no .npy or .png depth maps")
    return index


def load_depth(path: str | Path, scale: float | None = None) -> np.ndarray:
    """A depth map in metres (float32, HxW).

    ``scale`` multiplies the stored values: default 1.0 for .npy (already metres);
    required for .png, whose integers have no unit of their own.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read as a .npy array ({exc})") from None
        if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
            raise DataError(f"{path}: expected a real-valued numeric depth array, got dtype {array.dtype}")
        depth = np.squeeze(array).astype(np.float32)
        factor = 1.0 if scale is None else float(scale)
    elif suffix == ".png":
        raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise DataError(f"{path}: cannot read as a PNG image")
        if raw.dtype != np.uint16 or raw.ndim != 2:
            raise DataError(
                f"{path}: expected a single-channel 16-bit PNG depth map, got dtype {raw.dtype} "
                f"with shape {raw.shape} (8-bit images cannot hold metric depth)"
            )
        if scale is None:
            raise DataError(
                f"{path}: 16-bit PNG depth needs a stated scale in metres per unit "
                "(e.g. 0.001 for millimetres, 0.00390625 = 1/256 for KITTI); pass --pred-scale/--gt-scale"
            )
        depth = raw.astype(np.float32)
        factor = float(scale)
    else:
        raise DataError(f"{path}: unsupported depth file type {suffix!r}; expected .npy or .png")
    if depth.ndim != 2:
        raise DataError(f"{path}: expected a 2-D depth map (H x W), got shape {depth.shape}")
    if not factor > 0:
        raise DataError(f"{path}: depth scale must be > 0, got {factor}")
    return depth * np.float32(factor)


def encode_mask_png(keep: np.ndarray) -> bytes:
    """Attention mask (1/True = kept) -> PNG bytes, uint8 0/255."""
    keep = np.asarray(keep)
    if keep.ndim != 2:
        raise ValueError(f"mask must be 2-D (H x W), got shape {keep.shape}")
    image = np.where(keep > 0.5, 255, 0).astype(np.uint8)
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def write_mask_png(path: str | Path, keep: np.ndarray) -> Path:
    return atomic_write_bytes(path, encode_mask_png(keep))


def read_mask_png(path: str | Path) -> np.ndarray:
    """PNG written by ``write_mask_png`` -> bool HxW, True = kept."""
    path = Path(path)
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DataError(f"{path}: cannot read the attention mask PNG")
    if image.ndim != 2:
        raise DataError(f"{path}: expected a single-channel mask PNG, got shape {image.shape}")
    return image > 127
