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
        d = _safe_dirs(dirs)
        lo, hi = np.asarray(self.lo), np.asarray(self.hi)
        t1 = (lo - origin) / d
        t2 = (hi - origin) / d
        t_min = np.minimum(t1, t2)
        t_max = np.maximum(t1, t2)
        axis = np.argmax(t_min, axis=1)
        t_near = np.take_along_axis(t_min, axis[:, None], axis=1)[:, 0]
        t_far = t_max.min(axis=1)
        hit = (t_near <= t_far) & (t_near > _EPS)
        t = np.where(hit, t_near, np.inf)
        # Entering through the face whose slab was crossed last; the normal points back at the ray.
        sign = -np.sign(np.take_along_axis(d, axis[:, None], axis=1)[:, 0])
        normal = np.zeros_like(d)
        normal[np.arange(len(d)), axis] = sign
        return t, normal


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

    @property
    def face(self) -> np.ndarray:
        return face_from_normal(self.normal)

    @property
    def points(self) -> np.ndarray:
        t = np.where(np.isfinite(self.t), self.t, 0.0)
        return self.origin + t[:, None] * self.dirs
