"""SynthRooms: the embedded, procedurally generated benchmark (the pipeline's default input).

The real datasets (NYUv2 + PBRS, KITTI + vKITTI) cannot be downloaded here, so
SynthRooms reproduces the *structure* of the paper's problem at a tiny scale:
lots of clean labelled synthetic data, a little real labelled data, and real
images that contain clutter the synthetic domain never shows.

Design
------
Geometry (``scenes.py``, ``geometry.py``, ``camera.py``). Two families.
*indoor* (NYU/PBRS-like, 4:3, hfov 63 deg, depth <= 10 m): an axis-aligned room
(3-6.5 x 3.5-7.5 x 2.4-3.1 m), 2-6 furniture boxes (beds, sofas, tables,
cabinets, chairs), doors and windows as wall decals; camera 1.0-1.7 m high,
pitch -25..-3 deg, yaw +-35 deg. *outdoor* (KITTI/vKITTI-like, wide, hfov 82 deg,
depth capped at 80 m): road + sidewalks + lane marks, building blocks along both
sides with gaps, an optional building closing the street, parked cars;
camera 1.5-1.8 m high. Depth is exact z-depth from vectorised analytic ray
casting (planes, boxes, spheres) in numpy, rendered through a z-buffer.

Depth cues (``render.py``). So a small U-Net can learn geometry from 48x64
images, shading carries depth on purpose: indoor a point light near the camera
with 1/(1 + (r/r0)^2) falloff and a Lambertian cosine (brightness drops with
distance and at grazing angles), dark distance fog, and different
floor/wall/ceiling shades; outdoor a sun with sky ambient, aerial haze towards
a horizon colour, a sky gradient, and the ground's perspective.

Domains. The geometry of a sample comes from its own random stream, so both
domains share one geometry distribution (the same seed gives the same room).
*synthetic*: flat Lambertian shading of a cool, muted palette, dense exact depth
(outdoor sky = 80 m, as vKITTI's far code clipped to 80 m). *real*: a warmer,
more varied palette with procedural textures (wood grain, plaster and asphalt
noise, facade windows), warm light, then a global camera pipeline -- white
balance, exposure, a tone curve (gamma), 3x3 blur and sensor noise. This shift
is global-ish and learnable: a job for the style translator T.

Clutter (``clutter.py``, ``posters.py``), real domain only. Indoor: posters and
pictures on walls that paint the very cues the depth net relies on (a tunnel
whose brightness falls towards a vanishing point, a checkerboard floor receding
to a horizon, high-contrast stripes) while the depth stays the wall's -- the
paper's Fig. 1 poster; pools of spotlight on the floor (the floor's own
material under extra light that the synthetic scenes never have: the paper's
bright windows, for a net that reads brightness as nearness -- measured on
real_val, a syn-only D's RMS-log inside the pools is 2.8-3.7x its RMS-log
there on the twin); groups of small saturated, striped, sometimes self-lit
objects on furniture tops (brightness unrelated to distance); potted plants
and thin floor lamps. Item shares (indoor): posters 0.3, light pools 0.4,
object groups 0.2, plants and lamps 0.1. Posters and light pools are
*appearance* clutter (flat: the ground truth is the surface, so removing and
completing them is right for depth); objects, plants and lamps have relief
that the ground truth keeps. Outdoor: pedestrians, poles with signs, trees
and bushes.
Items are placed where the camera sees a suitable surface and added until the
affected area reaches a per-image target ~ N(9 %, 3.5 %) clipped to 6-17 %
(an item may overshoot it by 3 points), never above 20 %: measured over 200
images the affected area is 6-19 %, mean ~11 % (visible clutter ~7 %), so
rho = 0.85-0.9 can remove it. Small objects sit on the
furniture they clutter and posters are flat, so replacing clutter by plausible
wall/floor colour costs little depth accuracy inside the mask and removes the
misleading context around it.

Ground truth of the real domain (``sensors.py``): indoor Kinect-like holes at
depth edges, on dark and glass surfaces, random blobs, beyond 9.5 m; outdoor
LiDAR-like sparse points (6-18 % of the image valid, none in the sky, above
+2 deg elevation, or beyond 80 m). Invalid = 0.

Evaluation extras. Every real image also has its clutter mask (visible clutter
dilated by one pixel -- the blur and the edge holes reach that far -- so the
image and its twin differ only inside it) and its clutter-free twin (same
scene, camera, lighting, noise and sensor fields, without clutter). These are
for evaluation only; ``DepthDataset`` exposes them only with ``eval_extras=True``.
"""

from arc.data.synthrooms.generate import (
    DEPTH_SCALE, FAMILIES, SPLIT_DOMAINS, generate_benchmark, read_meta, sample_name, split_seed,
)
from arc.data.synthrooms.sample import Sample, render_sample

__all__ = [
    "DEPTH_SCALE", "FAMILIES", "SPLIT_DOMAINS", "Sample", "generate_benchmark", "read_meta", "render_sample",
    "sample_name", "split_seed",
]
