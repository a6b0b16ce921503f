"""`arc data export-gt`: the ground truth of a split list as a folder `arc evaluate --gt` reads,
e.g. the 654 official NYU test frames out of ``nyu_depth_v2_labeled.mat``:

    arc data export-gt --dataset nyu-mat --root nyu_depth_v2_labeled.mat \
        --list data/splits/nyu_official_test_indices.txt --out nyu_test_gt
    arc evaluate --pred my_predictions --gt nyu_test_gt --gt-scale 0.001 --protocol nyu-standard

Each frame becomes ``<name>.png``, uint16 depth in units of ``--scale`` metres (0 = invalid), named
as the reader names it (NYU labelled: ``labeled_NNNNN``, NNNNN the 0-based index, as BTS's test list).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from arc.errors import DataError
from arc.utils.atomic import atomic_directory

UINT16_MAX = 65535


def export_ground_truth(dataset: str, root, entries: list[str], out, scale: float = 0.001) -> list[str]:
    """Write every entry's depth as a 16-bit PNG into ``out`` (replaced only when all are written)."""
    from arc.data.readers import open_reader

    reader = open_reader(dataset, root)
    names = []
    try:
        with atomic_directory(out) as tmp:
            for entry in entries:
                record = reader.read(entry)
                units = np.round(record.depth / scale)
                if units.max(initial=0) > UINT16_MAX:
                    raise DataError(f"{entry}: depth {float(record.depth.max()):.4g} m does not fit uint16 at "
                                    f"--scale {scale}; expected a larger scale")
                if not cv2.imwrite(str(Path(tmp) / f"{record.name}.png"), units.astype(np.uint16)):
                    raise DataError(f"could not write {record.name}.png into {out}")
                names.append(record.name)
    finally:
        if hasattr(reader, "close"):  # the labelled-set reader holds the HDF5 file open
            reader.close()
    return names
