"""Run a trained pipeline on image files: mask, decluttered image and depth per image."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from arc.data.transforms import rgb_to_tensor, tensor_to_rgb, unit_to_depth
from arc.errors import ConfigError, DataError
from arc.utils.atomic import atomic_write_bytes

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm")
DEPTH_PNG_SCALE = 1000.0  # 16-bit depth PNGs: value = depth in millimetres (metres * 1000)


def collect_images(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; folders contribute their image files (sorted)."""
    images: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            images += sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        elif p.is_file():
            images.append(p)
        else:
            raise DataError(f"{p}: no such image file or folder")
    if not images:
        raise DataError(f"no images found in {[str(p) for p in paths]} (looked for {', '.join(IMAGE_SUFFIXES)})")
    stems = [p.stem for p in images]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise DataError(f"several input images share the name(s) {dupes}; their outputs would overwrite each other")
    return images


def read_image(path: Path, height: int, width: int) -> np.ndarray:
    """8-bit RGB at the network size. Grey images become three equal channels; 16-bit images
    (PNG/TIFF from raw converters, 16-bit grey) are scaled to 8 bits, not clipped to white."""
    from arc.data.preprocess import resize_rgb
    from arc.data.readers.base import read_rgb

    return resize_rgb(read_rgb(path, scale_16bit=True), height, width)


def _png_bytes(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def depth_to_png16(depth_m: np.ndarray) -> np.ndarray:
    return np.clip(np.round(depth_m * DEPTH_PNG_SCALE), 0, 65535).astype(np.uint16)


@torch.no_grad()
def declutter(
    checkpoint: str | Path,
    images: Sequence[str | Path],
    out_dir: str | Path,
    *,
    height: int | None = None,
    width: int | None = None,
    device: str = "auto",
) -> list[dict]:
    """Write ``<name>_mask.png`` (255 = kept, 0 = removed), ``<name>_decluttered.png`` (the
    translated + inpainted image D sees) and ``<name>_depth.png`` (uint16, millimetres) per image."""
    from arc.training.checkpoint import load_pipeline
    from arc.training.device import resolve_device

    files = collect_images(images)
    out_dir = Path(out_dir)
    blocking = next((p for p in (out_dir, *out_dir.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ConfigError(f"--out {out_dir}: {blocking} is a file; expected a folder (existing or new) for the outputs")
    dev = resolve_device(device)
    pipeline = load_pipeline(checkpoint, dev)
    meta = pipeline.arc_meta
    height = int(height or meta.get("height") or 0)
    width = int(width or meta.get("width") or 0)
    if height <= 0 or width <= 0:
        raise ConfigError("--height and --width are needed: the checkpoint does not record its input size")
    max_depth = meta.get("max_depth")
    if max_depth is None:
        raise ConfigError(f"checkpoint {checkpoint} does not record max_depth; cannot convert depth to metres")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        x = rgb_to_tensor(read_image(path, height, width)).unsqueeze(0).to(dev)
        try:
            out = pipeline(x, hard=True)
        except ValueError as exc:  # e.g. size not divisible by 2**num_downsamples
            raise ConfigError(f"{path}: {exc} (choose --height/--width accordingly)") from exc
        mask = out["mask"] if out["mask"] is not None else torch.ones_like(x[:, :1])
        depth_m = unit_to_depth(out["depth_unit"].float(), float(max_depth))[0, 0].cpu().numpy()
        files_out = {
            "mask": out_dir / f"{path.stem}_mask.png",
            "decluttered": out_dir / f"{path.stem}_decluttered.png",
            "depth": out_dir / f"{path.stem}_depth.png",
        }
        atomic_write_bytes(files_out["mask"], _png_bytes((mask[0, 0].cpu().numpy() > 0.5).astype(np.uint8) * 255))
        atomic_write_bytes(files_out["decluttered"], _png_bytes(tensor_to_rgb(out["net_input"][0])))
        atomic_write_bytes(files_out["depth"], _png_bytes(depth_to_png16(depth_m)))
        written.append({"image": str(path), **{k: str(v) for k, v in files_out.items()}})
    return written
