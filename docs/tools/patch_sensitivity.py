"""Which local appearance changes move a fixed D's depth? Patch interventions on clutter-free twins.

One-off diagnostic behind the choice of light pools as clutter (docs/findings-synthrooms.md; not part of the DAG).
Usage: python docs/tools/patch_sensitivity.py data/cache/<benchmark>/real_val CKPT [CKPT ...]
For each twin image one random 12x16 patch is changed (black, white, mid-grey, darker x0.4,
brighter x2, another image's content, upside down, neon stripes); printed: the mean |change of
log depth| inside / outside the patch and the RMS-log error inside / outside.
"""
import sys, numpy as np, torch
from arc.data.cache import open_cache
from arc.data.transforms import rgb_to_tensor, unit_to_depth
from arc.training.checkpoint import load_pipeline
torch.set_num_threads(2)
split = open_cache(sys.argv[1]); m = split.manifest
twin = np.asarray(split.array("clean_rgb")).astype(np.float32)
gt = np.stack([split.depth_m(i) for i in range(len(twin))])
N, H, W, _ = twin.shape
rng = np.random.default_rng(0)
ph, pw = 12, 16
pos = [(rng.integers(0, H - ph), rng.integers(0, W - pw), rng.integers(0, N)) for _ in range(N)]
def variant(kind):
    out = twin.copy()
    for i, (y, x, j) in enumerate(pos):
        p = out[i, y:y+ph, x:x+pw]
        if kind == "black": p[:] = 0
        elif kind == "white": p[:] = 255
        elif kind == "gray": p[:] = 127.5
        elif kind == "darker": p *= 0.4
        elif kind == "brighter": p[:] = np.minimum(255, p * 2.0)
        elif kind == "other_img": p[:] = twin[(i + 1) % N, y:y+ph, x:x+pw]
        elif kind == "upside": p[:] = p[::-1].copy()
        elif kind == "neon_stripes": p[:] = np.where((np.arange(pw)[None, :, None] // 2) % 2 == 0, np.array([255, 20, 140.]), np.array([20, 230, 230.]))
    return out
for ck in sys.argv[2:]:
    pipe = load_pipeline(ck).eval()
    def pred(img):
        x = torch.stack([rgb_to_tensor(im.astype(np.uint8)) for im in img])
        with torch.no_grad(): return unit_to_depth(pipe.depth(x), m["max_depth"])[:, 0].numpy()
    base = pred(twin)
    inside = np.zeros((N, H, W), bool)
    for i, (y, x, j) in enumerate(pos): inside[i, y:y+ph, x:x+pw] = True
    def err(d, sel): 
        v = (gt > 0) & sel
        return np.sqrt(np.mean((np.log(d[v]) - np.log(gt[v]))**2))
    print(ck.split("/")[-2], f"base err in {err(base, inside):.3f} out {err(base, ~inside):.3f}")
    for kind in ["black", "white", "gray", "darker", "brighter", "other_img", "upside", "neon_stripes"]:
        d = pred(variant(kind))
        dl = np.abs(np.log(d) - np.log(base))
        print(f"  {kind:12s} |dlog| in {dl[inside].mean():.3f} out {dl[~inside].mean():.3f} | err in {err(d, inside):.3f} out {err(d, ~inside):.3f}")
