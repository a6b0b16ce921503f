"""Out-of-domain clutter for the real domain (never drawn for the synthetic domain).

Indoor: posters/pictures on walls (flat decals with misleading perspective, depth
unchanged), pools of spotlight on the floor (the floor's own material, brighter than
the scene's one light makes it: what the paper's bright windows do to a net that reads
brightness as distance), groups of small odd-looking objects on furniture tops, plants
and floor lamps. Outdoor: pedestrians, poles with signs, trees and bushes.

Placement uses the clutter-free hit buffer (a visible wall / furniture top /
floor / sidewalk pixel is picked, so every item lands where the camera sees it).
Coverage is controlled: items are added until the *affected* area -- the visible
clutter dilated by one pixel, because the 3x3 blur and the depth-edge holes
reach one pixel further -- reaches a per-image target drawn around 10 %, and an
item that would push it above ``MAX_COVERAGE`` is rejected.

The premise-strength dial (``ClutterDial``, setting ``data.synthrooms.<family>.clutter_strength``):
level 0 draws no clutter (real image = its twin), levels in (0, 1) scale the coverage target
down, level 1 is the generator as it was before the dial (byte for byte), and levels above 1
turn the light spots into shadows (kind ``shadow``: the surface's own material with light taken
away, 0.3 x level x 0.8-2.0 of it, so mostly dark), and a growing share of them (1 - 1/level) lands
on walls and furniture tops instead of the floor, so each place a spot can take is rarer in the 60
real training images. Why dark: a patch test on the twins (docs/premise-sweep/) showed that a D
trained on synthetic images reads real images as too far, so brightening a patch lowers its
error there and darkening raises it; with the same coverage, bright spots x2-x4 left the twin's
gain for such a D at 1.5-2.7 % (level 1: 1.9 %), shadows raised it to 10-12 %. Spots and shadows
are flat: the ground truth stays the surface under them.

The second setting, ``data.synthrooms.<family>.clutter_looks`` (``ClutterDial.looks``), makes each
shadow look rare in the real training images: above level 1, each real image draws one of the
first ``looks`` of ``SHADOW_LOOKS`` (plain shadow, blinds: stripes of shadow, tinted: coloured
darkness, dappled: leaf-like blotches) for all its spots, so with 4 looks each one shows in about
a quarter of the 60 real training images. The look comes from its own random stream, so the spots'
places and strengths are those of ``looks = 1`` at the same level; ``looks = 1`` is the dial as before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from arc.data.synthrooms.geometry import Box, HitBuffer, Sphere
from arc.data.synthrooms.materials import Material, SpotLook, role_class
from arc.data.synthrooms.posters import sample_poster
from arc.settings import schema_default
from arc.data.synthrooms.render import SPOTLIGHT_COLOUR, SurfaceMap
from arc.data.synthrooms.scenes import Decal, Scene, tangent_axes

MIN_COVERAGE, MEAN_COVERAGE, MAX_COVERAGE = 0.05, 0.11, 0.22

# Every clutter item has a kind; the per-pixel kind map (code = index, 0 = no clutter) is an
# evaluation-only array, so A's mask can be scored against the kinds whose removal helps depth.
# New kinds go at the end: the codes are stored in the clutter_kind PNGs.
CLUTTER_KINDS = ("none", "poster", "objects", "plant", "lamp", "pedestrian", "pole", "vegetation", "light_pool",
                 "shadow", "blinds_shadow", "tinted_shadow", "dappled_shadow")
# The looks a shadow can take (clutter_looks = how many of them, in this order).
SHADOW_LOOKS = ("shadow", "blinds_shadow", "tinted_shadow", "dappled_shadow")
# Appearance clutter: flat, the ground truth is the surface it hangs on, so removing it and
# completing from the surroundings is also right for depth (the paper's frames on walls).
# Every other kind has depth relief that the ground truth keeps: removing it hides real geometry.
APPEARANCE_KINDS = ("poster", "light_pool") + SHADOW_LOOKS


def kind_code(kind: str) -> int:
    return CLUTTER_KINDS.index(kind)
MAX_ATTEMPTS = 40
OVERSHOOT = 0.03
# The generator's own default: the schema's default of data.synthrooms.<family>.clutter_strength
# (checked equal by tests/test_premise_dial.py), for the generator called outside the workflow.
DEFAULT_CLUTTER_STRENGTH = float(schema_default("data.synthrooms.indoor.clutter_strength"))
DEFAULT_CLUTTER_LOOKS = int(schema_default("data.synthrooms.indoor.clutter_looks"))
# Colours of the light a tinted shadow takes away: the channel kept dim is the darkness's colour.
SHADOW_TINTS = ((1.3, 1.3, 0.15), (0.15, 1.3, 1.3), (1.3, 0.15, 1.3), (0.2, 1.4, 0.2))


@dataclass(frozen=True)
class ClutterDial:
    """How strongly the real domain's clutter misleads (see the module docstring); 1 = the original."""

    strength: float = DEFAULT_CLUTTER_STRENGTH
    looks: int = DEFAULT_CLUTTER_LOOKS

    def __post_init__(self):
        if not (self.strength >= 0 and np.isfinite(self.strength)):
            raise ValueError(f"clutter_strength {self.strength!r}: expected a finite number >= 0")
        if isinstance(self.looks, bool) or not isinstance(self.looks, (int, np.integer)) \
                or not 1 <= self.looks <= len(SHADOW_LOOKS):
            raise ValueError(f"clutter_looks {self.looks!r}: expected an integer from 1 to {len(SHADOW_LOOKS)}")

    @property
    def coverage_scale(self) -> float:
        """Factor on the per-image coverage target (0 = no clutter)."""
        return min(self.strength, 1.0)

    @property
    def light_gain(self) -> float:
        """Factor on a light spot's extra light: 1 up to level 1, then -0.3 x level (a shadow)."""
        return 1.0 if self.strength <= 1.0 else -0.3 * self.strength

    @property
    def off_floor_share(self) -> float:
        """Probability that a spot lands on a wall or a furniture top instead of the floor."""
        return 1.0 - 1.0 / max(self.strength, 1.0)

    @property
    def spot_kind(self) -> str:
        return "light_pool" if self.light_gain > 0 else "shadow"

    def draw_look(self, rng: np.random.Generator) -> tuple[str, SpotLook | None]:
        """One image's spot kind and look: above level 1 with looks > 1, one of the first ``looks``
        (drawn from ``rng``); else the level's kind with the plain look, and ``rng`` is not touched."""
        if self.looks == 1 or self.spot_kind != "shadow":
            return self.spot_kind, None
        kind = SHADOW_LOOKS[int(rng.integers(self.looks))]
        if kind == "blinds_shadow":  # light through slats: bands of shadow and bands of (some) light
            return kind, SpotLook(SPOTLIGHT_COLOUR, "stripes", tex_amp=0.8, tex_freq=float(rng.uniform(4.0, 8.0)),
                                  tex_angle=float(rng.uniform(0.0, np.pi)))
        if kind == "tinted_shadow":  # coloured darkness (a stained or coloured pane between light and surface)
            return kind, SpotLook(SHADOW_TINTS[int(rng.integers(len(SHADOW_TINTS)))])
        if kind == "dappled_shadow":  # leaves between light and surface: blotches
            return kind, SpotLook(SPOTLIGHT_COLOUR, "noise", tex_amp=0.9, tex_freq=float(rng.uniform(2.0, 5.0)),
                                  tex_seed=int(rng.integers(2**31)))
        return kind, None

NEON = [
    (1.0, 0.15, 0.55), (0.1, 0.9, 0.9), (1.0, 0.85, 0.05), (0.55, 0.1, 0.95),
    (0.03, 0.03, 0.03), (1.0, 1.0, 1.0), (0.1, 0.8, 0.1), (1.0, 0.4, 0.0),
]
CLOTHES = [(0.1, 0.1, 0.12), (0.8, 0.1, 0.1), (0.15, 0.2, 0.5), (0.9, 0.9, 0.85), (0.9, 0.7, 0.1), (0.3, 0.5, 0.2)]
SKIN = [(0.85, 0.65, 0.5), (0.6, 0.42, 0.3), (0.35, 0.22, 0.15)]


@dataclass
class ClutterItem:
    kind: str
    primitives: list = field(default_factory=list)  # (primitive, role)
    decals: list = field(default_factory=list)  # Decal on an existing primitive
    materials: dict = field(default_factory=dict)  # role -> Material


def dilate(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """3x3 binary dilation of a flat (H*W,) mask."""
    m = mask.reshape(height, width)
    out = m.copy()
    out[1:, :] |= m[:-1, :]
    out[:-1, :] |= m[1:, :]
    tmp = out.copy()
    out[:, 1:] |= tmp[:, :-1]
    out[:, :-1] |= tmp[:, 1:]
    return out.ravel()


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _mat(rng, colour, *, texture="flat", amp=0.0, freq=1.0, emissive=0.0) -> Material:
    return Material(tuple(colour), texture=texture, tex_amp=amp, tex_freq=freq, tex_seed=int(rng.integers(2**31)),
                    tex_angle=rng.uniform(0, np.pi), emissive=emissive, clutter=True)


def _odd_object_material(rng) -> Material:
    """Saturated, striped and sometimes self-lit: brightness unrelated to distance."""
    emissive = rng.uniform(0.5, 1.0) if rng.random() < 0.4 else 0.0
    if rng.random() < 0.6:
        return _mat(rng, _pick(rng, NEON), texture="stripes", amp=rng.uniform(0.5, 0.85),
                    freq=rng.uniform(8, 20), emissive=emissive)
    return _mat(rng, _pick(rng, NEON), emissive=emissive)


class ClutterSampler:
    """Adds clutter items to a copy of the clean hit buffer while tracking the covered area."""

    def __init__(self, scene: Scene, clean: HitBuffer, surfaces: SurfaceMap, rng: np.random.Generator,
                 materials: dict[str, Material], dial: ClutterDial, spot: tuple[str, SpotLook | None]):
        self.scene = scene
        self.dial = dial
        self.spot_kind, self.spot_look = spot  # this image's light spots (ClutterDial.draw_look)
        self.materials = materials  # the scene's own materials (a light pool lights the floor's)
        self.clean = clean
        self.surfaces = surfaces
        self.rng = rng
        self.h, self.w = scene.camera.height, scene.camera.width
        self.buffer = clean.copy()
        self.raw = np.zeros(len(clean.t), dtype=bool)
        self.items: list[ClutterItem] = []
        self.extra_prims: list[tuple] = []  # (primitive, role) appended after the scene's own

    # --- candidate surfaces --------------------------------------------------------------
    def _pixels(self, classes: set[str], depth_range=(0.0, np.inf)) -> np.ndarray:
        ok = self.surfaces.mask_of(lambda r: role_class(r) in classes)
        t = self.clean.t
        ok &= (t >= depth_range[0]) & (t <= depth_range[1]) & ~self.raw
        return np.flatnonzero(ok)

    def _anchor(self, classes: set[str], depth_range=(0.0, np.inf)):
        pix = self._pixels(classes, depth_range)
        if len(pix) == 0:
            return None
        p = int(pix[int(self.rng.integers(len(pix)))])
        return p, self.clean.origin + self.clean.t[p] * self.clean.dirs[p]

    # --- coverage bookkeeping ------------------------------------------------------------
    def _item_pixels(self, item: ClutterItem) -> np.ndarray:
        owned = np.zeros_like(self.raw)
        if item.primitives:
            probe = HitBuffer(self.buffer.origin, self.buffer.dirs)
            probe.add_all([prim for prim, _ in item.primitives])
            owned |= probe.t < self.buffer.t
        if item.decals:
            points, face = self.buffer.points, self.buffer.face
            for d in item.decals:
                ua, va = tangent_axes(d.face)
                owned |= (
                    (self.buffer.prim == d.prim) & (face == d.face)
                    & (points[:, ua] >= d.u_range[0]) & (points[:, ua] <= d.u_range[1])
                    & (points[:, va] >= d.v_range[0]) & (points[:, va] <= d.v_range[1])
                )
        return owned

    def coverage(self, raw: np.ndarray | None = None) -> float:
        return float(dilate(self.raw if raw is None else raw, self.h, self.w).mean())

    def try_add(self, item: ClutterItem, limit: float = MAX_COVERAGE) -> bool:
        new_raw = self.raw | self._item_pixels(item)
        if new_raw.sum() == self.raw.sum() or self.coverage(new_raw) > limit:
            return False
        base = len(self.scene.primitives) + len(self.extra_prims)
        self.buffer.add_all([prim for prim, _ in item.primitives], first_index=base)
        self.extra_prims += item.primitives
        self.raw = new_raw
        self.items.append(item)
        return True

    def run(self, sample_item) -> None:
        target = float(np.clip(self.rng.normal(MEAN_COVERAGE, 0.035), MIN_COVERAGE + 0.01, MAX_COVERAGE - 0.03))
        target *= self.dial.coverage_scale  # exact at level 1 (x 1.0); level 0: no item is added
        for _ in range(MAX_ATTEMPTS):
            if self.coverage() >= target:
                break
            item = sample_item(self)
            if item is not None:
                # Overshooting the target a little is fine; a big item waits for a smaller one.
                self.try_add(item, min(MAX_COVERAGE, target + OVERSHOOT))


# --- indoor items -------------------------------------------------------------------------
def _poster(s: ClutterSampler, k: int) -> ClutterItem | None:
    anchor = s._anchor({"wall"}, (0.8, 9.0))
    if anchor is None:
        return None
    p, point = anchor
    face = int(s.clean.face[p])
    ua, va = tangent_axes(face)
    room_w, room_h, room_l = s.scene.extent["room"]
    u_lo, u_hi = {2: (0.0, room_l), 0: (-room_w / 2, room_w / 2)}[ua]
    w, h = s.rng.uniform(0.7, 1.8), s.rng.uniform(0.5, 1.3)
    uc = float(np.clip(point[ua], u_lo + w / 2 + 0.05, u_hi - w / 2 - 0.05))
    vc = float(np.clip(point[va], 0.3 + h / 2, room_h - 0.15 - h / 2))
    role = f"poster:{k}"
    mat = Material((1.0, 1.0, 1.0), texture="poster", clutter=True, poster=sample_poster(s.rng),
                   emissive=s.rng.uniform(0.0, 0.3))
    decal = Decal(int(s.clean.prim[p]), face, (uc - w / 2, uc + w / 2), (vc - h / 2, vc + h / 2), role)
    return ClutterItem("poster", decals=[decal], materials={role: mat})


def _light_pool(s: ClutterSampler, k: int) -> ClutterItem | None:
    """A rectangular pool of spotlight on the floor: the floor's material under extra light.

    Above level 1 the spots are shadows, and some land on a wall or a furniture top (the dial
    draws that choice only then, so level 1 consumes the clutter stream exactly as before)."""
    if s.dial.off_floor_share > 0 and s.rng.random() < s.dial.off_floor_share:
        return _off_floor_spot(s, k)
    anchor = s._anchor({"floor"}, (0.8, 7.0))
    if anchor is None:
        return None
    p, point = anchor
    face = int(s.clean.face[p])
    room_w, _, room_l = s.scene.extent["room"]
    w, d = s.rng.uniform(0.7, 1.8), s.rng.uniform(0.7, 1.8)
    uc = float(np.clip(point[0], -room_w / 2 + w / 2 + 0.05, room_w / 2 - w / 2 - 0.05))
    vc = float(np.clip(point[2], d / 2 + 0.05, room_l - d / 2 - 0.05))
    role = f"{s.spot_kind}:{k}"
    light = float(s.rng.uniform(0.8, 2.0)) * s.dial.light_gain
    mat = dataclasses.replace(s.materials["floor"], clutter=True, spotlight=light, spot_look=s.spot_look)
    decal = Decal(int(s.clean.prim[p]), face, (uc - w / 2, uc + w / 2), (vc - d / 2, vc + d / 2), role)
    return ClutterItem(s.spot_kind, decals=[decal], materials={role: mat})


def _off_floor_spot(s: ClutterSampler, k: int) -> ClutterItem | None:
    """A spot (above level 1: a shadow) on a wall or a furniture top: its own material, relit (flat)."""
    classes = {"wall"} if s.rng.random() < 0.6 else {"furniture_top"}
    anchor = s._anchor(classes, (0.8, 9.0))
    if anchor is None:
        return None
    p, point = anchor
    face = int(s.clean.face[p])
    ua, va = tangent_axes(face)
    w, h = s.rng.uniform(0.5, 1.4), s.rng.uniform(0.4, 1.1)
    surface_role = s.surfaces.roles[int(s.surfaces.role_index[p])]
    role = f"{s.spot_kind}:{k}"
    light = float(s.rng.uniform(0.8, 2.0)) * s.dial.light_gain
    mat = dataclasses.replace(s.materials[surface_role], clutter=True, spotlight=light, spot_look=s.spot_look)
    u, v = float(point[ua]), float(point[va])
    decal = Decal(int(s.clean.prim[p]), face, (u - w / 2, u + w / 2), (v - h / 2, v + h / 2), role)
    return ClutterItem(s.spot_kind, decals=[decal], materials={role: mat})


def _object_group(s: ClutterSampler, k: int) -> ClutterItem | None:
    anchor = s._anchor({"furniture_top"}, (0.5, 9.0)) or s._anchor({"floor"}, (1.0, 7.0))
    if anchor is None:
        return None
    p, point = anchor
    prim = s.scene.primitives[int(s.clean.prim[p])]
    top_y = float(point[1])
    if isinstance(prim, Box) and abs(prim.hi[1] - top_y) < 1e-6:
        x_lim, z_lim = (prim.lo[0], prim.hi[0]), (prim.lo[2], prim.hi[2])
    else:
        x_lim, z_lim = (point[0] - 0.5, point[0] + 0.5), (point[2] - 0.5, point[2] + 0.5)
    item = ClutterItem("objects")
    for j in range(int(s.rng.integers(2, 6))):
        x = float(np.clip(point[0] + s.rng.uniform(-0.35, 0.35), x_lim[0] + 0.1, x_lim[1] - 0.1))
        z = float(np.clip(point[2] + s.rng.uniform(-0.35, 0.35), z_lim[0] + 0.1, z_lim[1] - 0.1))
        role = f"object:{k}:{j}"
        if s.rng.random() < 0.65:
            a, b, hgt = s.rng.uniform(0.06, 0.16), s.rng.uniform(0.06, 0.16), s.rng.uniform(0.08, 0.35)
            shape = Box((x - a, top_y, z - b), (x + a, top_y + hgt, z + b))
        else:
            rad = s.rng.uniform(0.05, 0.15)
            shape = Sphere((x, top_y + rad, z), rad)
        item.primitives.append((shape, role))
        item.materials[role] = _odd_object_material(s.rng)
    return item


def _plant_or_lamp(s: ClutterSampler, k: int) -> ClutterItem | None:
    anchor = s._anchor({"floor"}, (1.2, 7.0))
    if anchor is None:
        return None
    _, (x, _, z) = anchor
    item = ClutterItem("plant")
    if s.rng.random() < 0.6:  # potted plant: pot + a few dark-green foliage blobs
        a, hp = s.rng.uniform(0.12, 0.18), s.rng.uniform(0.25, 0.4)
        item.primitives.append((Box((x - a, 0.0, z - a), (x + a, hp, z + a)), f"pot:{k}"))
        item.materials[f"pot:{k}"] = _mat(s.rng, (0.6, 0.3, 0.18))
        foliage = _mat(s.rng, (s.rng.uniform(0.08, 0.2), s.rng.uniform(0.3, 0.5), s.rng.uniform(0.05, 0.12)),
                       texture="noise", amp=0.6, freq=12.0)
        for j in range(int(s.rng.integers(2, 5))):
            rad = s.rng.uniform(0.15, 0.32)
            c = (x + s.rng.uniform(-0.2, 0.2), hp + s.rng.uniform(0.15, 0.8), z + s.rng.uniform(-0.2, 0.2))
            item.primitives.append((Sphere(c, rad), f"leaves:{k}:{j}"))
            item.materials[f"leaves:{k}:{j}"] = foliage
    else:  # floor lamp: thin pole + bright shade
        item.kind = "lamp"
        hgt = s.rng.uniform(1.3, 1.7)
        item.primitives.append((Box((x - 0.025, 0.0, z - 0.025), (x + 0.025, hgt, z + 0.025)), f"pole:{k}"))
        item.materials[f"pole:{k}"] = _mat(s.rng, (0.08, 0.08, 0.08))
        item.primitives.append((Sphere((x, hgt + 0.1, z), s.rng.uniform(0.15, 0.22)), f"shade:{k}"))
        item.materials[f"shade:{k}"] = _mat(s.rng, (1.0, 0.95, 0.8), emissive=0.8)
    return item


# --- outdoor items ------------------------------------------------------------------------
def _pedestrian(s: ClutterSampler, k: int) -> ClutterItem | None:
    classes = {"sidewalk"} if s.rng.random() < 0.7 else {"road", "sidewalk"}
    anchor = s._anchor(classes, (4.0, 40.0))
    if anchor is None:
        return None
    _, (x, _, z) = anchor
    sc = s.rng.uniform(0.9, 1.1)
    item = ClutterItem("pedestrian")
    parts = {
        f"legs:{k}": (Box((x - 0.18, 0.0, z - 0.12), (x + 0.18, 0.85 * sc, z + 0.12)), _pick(s.rng, CLOTHES)),
        f"torso:{k}": (Box((x - 0.23, 0.85 * sc, z - 0.15), (x + 0.23, 1.5 * sc, z + 0.15)), _pick(s.rng, CLOTHES)),
        f"head:{k}": (Sphere((x, 1.62 * sc, z), 0.11 * sc), _pick(s.rng, SKIN)),
    }
    for role, (shape, colour) in parts.items():
        item.primitives.append((shape, role))
        striped = s.rng.random() < 0.3 and not role.startswith("head")
        item.materials[role] = _mat(s.rng, colour, texture="stripes" if striped else "flat", amp=0.5, freq=8.0)
    return item


def _pole(s: ClutterSampler, k: int) -> ClutterItem | None:
    anchor = s._anchor({"sidewalk"}, (3.0, 50.0))
    if anchor is None:
        return None
    _, (x, _, z) = anchor
    road_half = s.scene.extent["road_half"]
    x = float(np.sign(x) * (road_half + s.rng.uniform(0.2, 0.6)))
    hgt = s.rng.uniform(3.0, 7.0)
    item = ClutterItem("pole")
    item.primitives.append((Box((x - 0.07, 0.0, z - 0.07), (x + 0.07, hgt, z + 0.07)), f"pole:{k}"))
    item.materials[f"pole:{k}"] = _mat(s.rng, _pick(s.rng, [(0.4, 0.4, 0.42), (0.1, 0.1, 0.1), (0.3, 0.35, 0.3)]))
    if s.rng.random() < 0.5:
        sign = Box((x - 0.35, hgt - 0.7, z - 0.03), (x + 0.35, hgt, z + 0.03))
        item.primitives.append((sign, f"sign:{k}"))
        item.materials[f"sign:{k}"] = _mat(s.rng, _pick(s.rng, [(0.9, 0.1, 0.1), (0.1, 0.3, 0.9), (1.0, 0.85, 0.1)]),
                                           emissive=0.3)
    return item


def _vegetation(s: ClutterSampler, k: int) -> ClutterItem | None:
    anchor = s._anchor({"sidewalk"}, (5.0, 60.0))
    if anchor is None:
        return None
    _, (x, _, z) = anchor
    green = _mat(s.rng, (s.rng.uniform(0.08, 0.25), s.rng.uniform(0.3, 0.5), s.rng.uniform(0.05, 0.15)),
                 texture="noise", amp=0.6, freq=3.0)
    item = ClutterItem("vegetation")
    if s.rng.random() < 0.6:  # tree
        trunk_h = s.rng.uniform(2.2, 3.0)
        rad = s.rng.uniform(1.2, 2.6)
        item.primitives.append((Box((x - 0.15, 0.0, z - 0.15), (x + 0.15, trunk_h, z + 0.15)), f"trunk:{k}"))
        item.materials[f"trunk:{k}"] = _mat(s.rng, (0.3, 0.2, 0.12))
        item.primitives.append((Sphere((x, trunk_h + 0.7 * rad, z), rad), f"crown:{k}"))
        item.materials[f"crown:{k}"] = green
    else:  # bush
        rad = s.rng.uniform(0.4, 1.0)
        item.primitives.append((Sphere((x, 0.6 * rad, z), rad), f"bush:{k}"))
        item.materials[f"bush:{k}"] = green
    return item


INDOOR_ITEMS = ((_poster, 0.3), (_light_pool, 0.4), (_object_group, 0.2), (_plant_or_lamp, 0.1))
OUTDOOR_ITEMS = ((_pedestrian, 0.35), (_pole, 0.25), (_vegetation, 0.4))


def add_clutter(scene: Scene, clean: HitBuffer, surfaces: SurfaceMap, rng: np.random.Generator,
                materials: dict[str, Material], dial: ClutterDial = ClutterDial(),
                look_rng: np.random.Generator | None = None) -> ClutterSampler:
    """Sample clutter for a real image; returns the sampler (items, buffer, extra primitives).

    ``look_rng`` draws the image's shadow look (needed when ``dial.looks > 1``); ``rng`` all the rest."""
    table = INDOOR_ITEMS if scene.family == "indoor" else OUTDOOR_ITEMS
    makers = [m for m, _ in table]
    probs = np.array([p for _, p in table])
    counter = iter(range(10_000))

    def sample_item(s: ClutterSampler):
        maker = makers[int(s.rng.choice(len(makers), p=probs / probs.sum()))]
        return maker(s, next(counter))

    if dial.looks > 1 and look_rng is None:
        raise ValueError("add_clutter: clutter_looks > 1 needs look_rng (the image's look stream)")
    sampler = ClutterSampler(scene, clean, surfaces, rng, materials, dial, dial.draw_look(look_rng))
    sampler.run(sample_item)
    return sampler
