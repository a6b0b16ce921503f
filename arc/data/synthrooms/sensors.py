"""Depth-sensor artefacts of the real domain's ground truth (invalid depth = 0).

Indoor (Kinect-like): holes at depth discontinuities, on dark and on specular
(glass) surfaces, a few random blobs, and nothing beyond the sensor range.
Outdoor (LiDAR-like): no returns from the sky or above the scanner's upper
elevation limit, nothing beyond 80 m, and a sparse, scanline-modulated random
subset of the remaining pixels so that 5-20 % of the image is valid.

Every random decision reads a per-image random field drawn *before* rendering,
so the clutter-free twin gets exactly the same artefacts wherever clutter does
not change the scene (outside the dilated clutter mask).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINECT_RANGE_M = 9.5
LIDAR_RANGE_M = 80.0
LIDAR_MAX_ELEVATION_DEG = 2.0  # HDL-64E upper beam, scanner about at camera height
LIDAR_VALID_RANGE = (0.06, 0.18)  # target fraction of the whole image (stated range 5-20 %)


@dataclass
class SensorFields:
    """Random fields shared by a real image and its clutter-free twin."""

    uniform: np.ndarray  # (H, W) in [0, 1)
    blobs: np.ndarray  # (H, W) smooth noise in [0, 1]
    row_gain: np.ndarray  # (H,) scanline density modulation
    target: float  # LiDAR target valid fraction


def sample_sensor_fields(height: int, width: int, rng: np.random.Generator) -> SensorFields:
    uniform = rng.random((height, width))
    coarse = rng.random((height // 8 + 2, width // 8 + 2))
    blobs = _upsample(coarse, height, width)
    row_gain = rng.uniform(0.5, 1.5, height)
    target = rng.uniform(*LIDAR_VALID_RANGE)
    return SensorFields(uniform, blobs, row_gain, target)


def _upsample(coarse: np.ndarray, height: int, width: int) -> np.ndarray:
    ys = np.linspace(0, coarse.shape[0] - 1.001, height)
    xs = np.linspace(0, coarse.shape[1] - 1.001, width)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    c = coarse
    return (c[y0][:, x0] * (1 - fx) + c[y0][:, x0 + 1] * fx) * (1 - fy) + (c[y0 + 1][:, x0] * (1 - fx) + c[y0 + 1][:, x0 + 1] * fx) * fy


def depth_edges(depth: np.ndarray, rel_threshold: float = 0.1) -> np.ndarray:
    """Pixels with a 4-neighbour whose depth differs by more than ``rel_threshold`` (relative)."""
    edge = np.zeros_like(depth, dtype=bool)
    dy = np.abs(depth[1:] - depth[:-1]) > rel_threshold * np.minimum(depth[1:], depth[:-1])
    dx = np.abs(depth[:, 1:] - depth[:, :-1]) > rel_threshold * np.minimum(depth[:, 1:], depth[:, :-1])
    edge[1:] |= dy
    edge[:-1] |= dy
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    return edge


def kinect_depth(depth: np.ndarray, albedo_luma: np.ndarray, specular: np.ndarray,
                 fields: SensorFields) -> np.ndarray:
    """Dense (H, W) metres -> Kinect-like depth with holes (0)."""
    u = fields.uniform
    holes = depth_edges(depth) & (u < 0.7)
    holes |= (albedo_luma < 0.07) & (u < 0.85)  # dark surfaces absorb the IR pattern
    holes |= specular & (u < 0.9)
    holes |= fields.blobs > 0.86
    holes |= depth > KINECT_RANGE_M
    return np.where(holes, 0.0, depth)


def lidar_depth(depth: np.ndarray, sky: np.ndarray, elevation_deg: np.ndarray, fields: SensorFields,
                keep_probability: float) -> np.ndarray:
    """Dense (H, W) metres -> sparse LiDAR-like depth (0 where no return)."""
    eligible = lidar_eligible(depth, sky, elevation_deg)
    p = keep_probability * fields.row_gain[:, None]
    return np.where(eligible & (fields.uniform < p), depth, 0.0)


def lidar_eligible(depth: np.ndarray, sky: np.ndarray, elevation_deg: np.ndarray) -> np.ndarray:
    return ~sky & (depth <= LIDAR_RANGE_M) & (elevation_deg <= LIDAR_MAX_ELEVATION_DEG)


def lidar_keep_probability(clean_eligible: np.ndarray, fields: SensorFields) -> float:
    """Per-pixel keep probability that gives the target valid fraction on the clutter-free scene."""
    weighted = (clean_eligible * fields.row_gain[:, None]).mean()
    return float(min(1.0, fields.target / max(weighted, 1e-6)))
