"""Named evaluation protocols: which pixels count and how the metrics are pooled.

A protocol is data, not a code path per dataset: a crop given as fractions of
the image height/width (so it applies at any resolution), a valid ground-truth
depth range, the pooling (``pixel`` = over all valid pixels of the test set,
``image`` = per-image metrics averaged) and a clamp applied to predictions.

Ground truth counts where ``min_depth < gt < max_depth`` (strict, as in the
authors' code and the Eigen/Garg evaluation scripts) and inside the crop.

``ground_truth`` says which ground truth a protocol scores: ``cache`` = the cached split's depth at
the cache's resolution (every protocol but two); ``kitti-velodyne`` = each KITTI test frame's raw
LiDAR projected at the camera's full resolution (the cache's ``full_gt``); predictions are then
resized up to it (bilinear) before scoring, as the Eigen-split scripts do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from arc.errors import ConfigError


@dataclass(frozen=True)
class Crop:
    """Rows ``[top*H, bottom*H)`` and columns ``[left*W, right*W)``, fractions in [0, 1]."""

    top: float
    bottom: float
    left: float
    right: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.top < self.bottom <= 1.0 and 0.0 <= self.left < self.right <= 1.0):
            raise ValueError(f"crop fractions must satisfy 0 <= top < bottom <= 1 and 0 <= left < right <= 1: {self}")

    def bounds(self, height: int, width: int) -> tuple[int, int, int, int]:
        """Integer (top, bottom, left, right) pixel bounds for an image of this size.

        Truncation (as the Eigen/Garg scripts do), with a tiny tolerance so that a
        fraction written as 471/480 gives exactly 471 at 480 rows.
        """

        def cut(fraction: float, size: int) -> int:
            return int(math.floor(fraction * size + 1e-6))

        return cut(self.top, height), cut(self.bottom, height), cut(self.left, width), cut(self.right, width)

    def mask(self, height: int, width: int) -> np.ndarray:
        top, bottom, left, right = self.bounds(height, width)
        out = np.zeros((height, width), dtype=bool)
        out[top:bottom, left:right] = True
        return out


# Eigen et al. NYU crop (rows 45:471, cols 41:601 of the 480x640 frame).
EIGEN_NYU_CROP = Crop(top=45 / 480, bottom=471 / 480, left=41 / 640, right=601 / 640)
# Garg et al. KITTI crop, as fractions of the full frame.
GARG_KITTI_CROP = Crop(top=0.40810811, bottom=0.99189189, left=0.03594771, right=0.96405229)

CACHE_GT = "cache"
KITTI_VELODYNE_GT = "kitti-velodyne"  # the cache's full_gt.source for arc/data/readers/kitti_lidar.py's maps
GROUND_TRUTHS = (CACHE_GT, KITTI_VELODYNE_GT)


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str
    min_depth: float
    max_depth: float
    pooling: str  # "pixel" | "image"
    crop: Crop | None
    pred_clamp: tuple[float, float]  # predictions are clipped to this range (metres) before scoring
    family: str  # "indoor" | "outdoor": which paper table the numbers compare with
    ground_truth: str = CACHE_GT  # CACHE_GT | a full-resolution source (e.g. "kitti-velodyne")

    @property
    def full_resolution(self) -> bool:
        """Scored against the full-resolution ground truth, predictions resized up to it."""
        return self.ground_truth != CACHE_GT

    def __post_init__(self) -> None:
        if self.pooling not in ("pixel", "image"):
            raise ValueError(f"protocol {self.name}: pooling must be 'pixel' or 'image', got {self.pooling!r}")
        if not 0.0 <= self.min_depth < self.max_depth:
            raise ValueError(f"protocol {self.name}: need 0 <= min_depth < max_depth")
        if not 0.0 < self.pred_clamp[0] < self.pred_clamp[1]:
            raise ValueError(f"protocol {self.name}: pred_clamp must be (low > 0, high > low) so that log is defined")
        if self.family not in ("indoor", "outdoor"):
            raise ValueError(f"protocol {self.name}: family must be 'indoor' or 'outdoor'")
        if self.ground_truth not in GROUND_TRUTHS:
            raise ValueError(f"protocol {self.name}: ground_truth must be one of {GROUND_TRUTHS}")

    def eval_mask(self, gt: np.ndarray) -> np.ndarray:
        """Boolean mask of the ground-truth pixels this protocol scores."""
        gt = np.asarray(gt)
        with np.errstate(invalid="ignore"):
            mask = np.isfinite(gt) & (gt > self.min_depth) & (gt < self.max_depth)
        if self.crop is not None:
            mask &= self.crop.mask(*gt.shape[-2:])
        return mask

    def clamp_prediction(self, pred: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(pred, dtype=np.float32), self.pred_clamp[0], self.pred_clamp[1])

    def without_crop(self) -> "Protocol":
        """The same protocol for frames that were already cropped to the protocol's region.

        The name stays: scoring pre-cropped frames without the crop is the same
        protocol; ``summary()`` records that no crop was applied here.
        """
        return replace(self, crop=None)

    def summary(self) -> dict:
        """JSON-friendly description, stored next to results (``ground_truth`` only where it is not the cache's,
        so that the results of the other protocols read as before)."""
        summary = {
            "name": self.name,
            "min_depth": self.min_depth,
            "max_depth": self.max_depth,
            "pooling": self.pooling,
            "crop": None if self.crop is None else [self.crop.top, self.crop.bottom, self.crop.left, self.crop.right],
            "pred_clamp": list(self.pred_clamp),
        }
        if self.full_resolution:
            summary["ground_truth"] = self.ground_truth
            summary["prediction_resized"] = "bilinear, to the ground truth's full resolution"
        return summary


def _build_protocols() -> dict[str, Protocol]:
    protocols = [
        Protocol(
            name="nyu-paper",
            description="as the authors' code: 1-8 m, metrics pooled over all valid pixels of the test set, "
            "no median scaling, no crop beyond the loader's border crop",
            min_depth=1.0,
            max_depth=8.0,
            pooling="pixel",
            crop=None,
            # The authors do not clamp; their net outputs [0, 10] m. The lower end only guards log(0).
            pred_clamp=(1e-3, 10.0),
            family="indoor",
        ),
        Protocol(
            name="nyu-standard",
            description="Eigen crop, 1e-3-10 m, per-image metrics averaged",
            min_depth=1e-3,
            max_depth=10.0,
            pooling="image",
            crop=EIGEN_NYU_CROP,
            pred_clamp=(1e-3, 10.0),
            family="indoor",
        ),
        Protocol(
            name="kitti-standard",
            description="the depth benchmark's annotated maps (652 of the 697 Eigen frames) at the cache's "
            "resolution: Garg crop, 1e-3-80 m (80 m cap), per-image metrics averaged",
            min_depth=1e-3,
            max_depth=80.0,
            pooling="image",
            crop=GARG_KITTI_CROP,
            pred_clamp=(1e-3, 80.0),
            family="outdoor",
        ),
        Protocol(
            name="kitti-eigen-lidar",
            description="the Eigen split as SfMLearner/monodepth score it (the paper's Table 3 comparisons): ground "
            "truth projected from each frame's raw LiDAR at full resolution, predictions resized up to it "
            "(bilinear), Garg crop, 1e-3-80 m (80 m cap), per-image metrics averaged",
            min_depth=1e-3,
            max_depth=80.0,
            pooling="image",
            crop=GARG_KITTI_CROP,
            pred_clamp=(1e-3, 80.0),
            family="outdoor",
            ground_truth=KITTI_VELODYNE_GT,
        ),
        Protocol(
            name="kitti-eigen-lidar-50",
            description="kitti-eigen-lidar capped at 50 m (Garg et al.'s second setting): ground truth and "
            "predictions limited to 1e-3-50 m",
            min_depth=1e-3,
            max_depth=50.0,
            pooling="image",
            crop=GARG_KITTI_CROP,
            pred_clamp=(1e-3, 50.0),
            family="outdoor",
            ground_truth=KITTI_VELODYNE_GT,
        ),
        Protocol(
            name="synthrooms-indoor",
            description="embedded indoor benchmark: 1e-3-10 m, per-image metrics averaged, no crop",
            min_depth=1e-3,
            max_depth=10.0,
            pooling="image",
            crop=None,
            pred_clamp=(1e-3, 10.0),
            family="indoor",
        ),
        Protocol(
            name="synthrooms-outdoor",
            description="embedded outdoor benchmark: 1e-3-80 m, per-image metrics averaged, no crop",
            min_depth=1e-3,
            max_depth=80.0,
            pooling="image",
            crop=None,
            pred_clamp=(1e-3, 80.0),
            family="outdoor",
        ),
        Protocol(
            name="synthrooms-outdoor-garg",
            description="embedded outdoor benchmark with the Garg crop: 1e-3-80 m, per-image metrics averaged",
            min_depth=1e-3,
            max_depth=80.0,
            pooling="image",
            crop=GARG_KITTI_CROP,
            pred_clamp=(1e-3, 80.0),
            family="outdoor",
        ),
    ]
    return {p.name: p for p in protocols}


PROTOCOLS: dict[str, Protocol] = _build_protocols()


def get_protocol(name: str, *, crop: bool = True) -> Protocol:
    """Look a protocol up by name (ConfigError listing the known ones otherwise).

    ``crop=False`` drops the crop, for frames that were cropped to the protocol's
    region before caching (e.g. NYU frames cut to rows 45:471, cols 41:601).
    """
    try:
        protocol = PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"unknown evaluation protocol {name!r}; expected one of {sorted(PROTOCOLS)}") from None
    return protocol if crop else protocol.without_crop()


# Crops a reader applies before caching, by the name its preprocessing records in the cache
# manifest (source.preprocess.crop). The NYU readers cut rows 45:471, cols 41:601: exactly the
# Eigen crop, so nyu-standard must not crop those cached frames a second time.
CACHE_CROPS = {"nyu rows 45:471 cols 41:601": EIGEN_NYU_CROP}


def protocol_for_cache(protocol: Protocol, manifest: dict) -> Protocol:
    """``protocol`` without its crop when the cached frames were already cut to that region."""
    applied = ((manifest.get("source") or {}).get("preprocess") or {}).get("crop")
    done = CACHE_CROPS.get(applied)
    return protocol.without_crop() if done is not None and protocol.crop == done else protocol

