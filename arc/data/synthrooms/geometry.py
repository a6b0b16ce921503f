"""Vectorised analytic ray casting (numpy) for the few primitive kinds SynthRooms needs.

All rays share one origin (the camera centre). Each primitive returns, for every
ray, the hit parameter ``t`` (inf where it misses), the outward surface normal
and a face index; :class:`HitBuffer` keeps the nearest hit per ray (a z-buffer),
so adding primitives one at a time -- as the clutter sampler does -- only costs
one intersection per primitive.

Face index convention: ``2 * axis + (normal component > 0)``, i.e.
0 = -x, 1 = +x, 2 = -y (facing down), 3 = +y (facing up), 4 = -z, 5 = +z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-6
NO_HIT = -1


def _safe_dirs(dirs: np.ndarray) -> np.ndarray:
    # Exact zeros would give 0/0 in the slab test; a tiny offset keeps the sign convention.
    return np.where(np.abs(dirs) < 1e-12, 1e-12, dirs)


def face_from_normal(normal: np.ndarray) -> np.ndarray:
    axis = np.argmax(np.abs(normal), axis=-1)
    positive = np.take_along_axis(normal, axis[..., None], axis=-1)[..., 0] > 0
    return (2 * axis + positive).astype(np.int8)


@dataclass(frozen=True)
class Box:
    """Axis-aligned solid box seen from outside."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]

    def intersect(self, origin: np.ndarray, dirs: np.ndarray):
        t, _, normal = intersect_boxes(origin, dirs, np.asarray([self.lo], float), np.asarray([self.hi], float))
        return t, normal


def intersect_boxes(origin: np.ndarray, dirs: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Nearest hit over K boxes at once (slab test on (N, K) arrays, one per axis).

    Returns (t (N,), box index (N,), normal (N, 3)); t = inf and index 0 where nothing is hit.
    """
    d = _safe_dirs(dirs)
    inv = 1.0 / d
    t_min, t_max = [], []
    for a in range(3):
        t1 = (lo[None, :, a] - origin[a]) * inv[:, a, None]
        t2 = (hi[None, :, a] - origin[a]) * inv[:, a, None]
        t_min.append(np.minimum(t1, t2))
        t_max.append(np.maximum(t1, t2))
    t_near = np.maximum(np.maximum(t_min[0], t_min[1]), t_min[2])
    t_far = np.minimum(np.minimum(t_max[0], t_max[1]), t_max[2])
    t_all = np.where((t_near <= t_far) & (t_near > _EPS), t_near, np.inf)
    best = np.argmin(t_all, axis=1)
    rows = np.arange(len(dirs))
    t = t_all[rows, best]
    # The entry face is on the axis whose slab was entered last (its t_min equals t_near).
    axis = np.where(t_min[0][rows, best] == t_near[rows, best], 0, np.where(t_min[1][rows, best] == t_near[rows, best], 1, 2))
    normal = np.zeros_like(dirs)
    normal[rows, axis] = -np.sign(d[rows, axis])
    return t, best, normal


@dataclass(frozen=True)
class RoomInterior:
    """The inside of an axis-aligned box (floor, ceiling, four walls) seen from within."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]

    def intersect(self, origin: np.ndarray, dirs: np.ndarray):
        d = _safe_dirs(dirs)
        lo, hi = np.asarray(self.lo), np.asarray(self.hi)
        exit_plane = np.where(d > 0, hi, lo)
        t_axes = (exit_plane - origin) / d
        axis = np.argmin(t_axes, axis=1)
        t = np.take_along_axis(t_axes, axis[:, None], axis=1)[:, 0]
        sign = -np.sign(np.take_along_axis(d, axis[:, None], axis=1)[:, 0])
        normal = np.zeros_like(d)
        normal[np.arange(len(d)), axis] = sign
        return np.where(t > _EPS, t, np.inf), normal


@dataclass(frozen=True)
class Sphere:
    center: tuple[float, float, float]
    radius: float

    def intersect(self, origin: np.ndarray, dirs: np.ndarray):
        c = np.asarray(self.center)
        oc = origin - c
        a = np.einsum("ij,ij->i", dirs, dirs)
        b = 2.0 * dirs @ oc
        disc = b * b - 4.0 * a * (oc @ oc - self.radius**2)
        root = np.sqrt(np.maximum(disc, 0.0))
        t = (-b - root) / (2.0 * a)
        hit = (disc >= 0) & (t > _EPS)
        t = np.where(hit, t, np.inf)
        points = origin + np.where(hit, t, 0.0)[:, None] * dirs
        normal = (points - c) / self.radius
        return t, normal


@dataclass(frozen=True)
class GroundPlane:
    """The plane y = height seen from above (the street)."""

    height: float = 0.0

    def intersect(self, origin: np.ndarray, dirs: np.ndarray):
        dy = dirs[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (self.height - origin[1]) / dy
        t = np.where((dy < -1e-9) & (t > _EPS), t, np.inf)
        normal = np.zeros_like(dirs)
        normal[:, 1] = 1.0
        return t, normal


class HitBuffer:
    """Nearest hit per ray: depth ``t``, primitive index, face index and normal."""

    def __init__(self, origin: np.ndarray, dirs: np.ndarray):
        self.origin = origin
        self.dirs = dirs
        n = len(dirs)
        self.t = np.full(n, np.inf)
        self.prim = np.full(n, NO_HIT, dtype=np.int32)
        self.normal = np.zeros((n, 3))

    def copy(self) -> "HitBuffer":
        other = HitBuffer(self.origin, self.dirs)
        other.t = self.t.copy()
        other.prim = self.prim.copy()
        other.normal = self.normal.copy()
        return other

    def add(self, primitive, index: int) -> np.ndarray:
        """Z-test one primitive; returns the boolean mask of rays it now owns."""
        t, normal = primitive.intersect(self.origin, self.dirs)
        closer = t < self.t
        self.t[closer] = t[closer]
        self.prim[closer] = index
        self.normal[closer] = normal[closer]
        return closer

    def add_boxes(self, boxes: list[Box], indices: list[int]) -> np.ndarray:
        """Z-test many boxes in one broadcast; same result as adding them one by one."""
        if not boxes:
            return np.zeros(len(self.t), dtype=bool)
        lo = np.array([b.lo for b in boxes], dtype=np.float64)
        hi = np.array([b.hi for b in boxes], dtype=np.float64)
        t, best, normal = intersect_boxes(self.origin, self.dirs, lo, hi)
        closer = t < self.t
        self.t[closer] = t[closer]
        self.prim[closer] = np.asarray(indices, dtype=np.int32)[best[closer]]
        self.normal[closer] = normal[closer]
        return closer

    def add_all(self, primitives: list, first_index: int = 0) -> None:
        """Add primitives in order, batching all boxes into one broadcast."""
        boxes = [(p, first_index + i) for i, p in enumerate(primitives) if isinstance(p, Box)]
        for i, prim in enumerate(primitives):
            if not isinstance(prim, Box):
                self.add(prim, first_index + i)
        self.add_boxes([b for b, _ in boxes], [i for _, i in boxes])

    @property
    def face(self) -> np.ndarray:
        return face_from_normal(self.normal)

    @property
    def points(self) -> np.ndarray:
        t = np.where(np.isfinite(self.t), self.t, 0.0)
        return self.origin + t[:, None] * self.dirs
