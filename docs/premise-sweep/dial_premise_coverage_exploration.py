"""EXPLORATION, not the committed dial: level > 1 also scales the coverage target (up to 2x).
The dial's effect on a D trained on synthetic images only (identical at every level: syn_train does not
depend on the dial): generate real_val per level (benchmark seed 0, 48x64, 30 images), then the premise
interventions (arc.evaluation.premise.measure_premise) with fixed Ds. Usage: measure.py OUT DEPTH_CKPT... """
import json, sys
from pathlib import Path
import torch
from arc.data.cache import build_cache
from arc.data.synthrooms.generate import generate_benchmark
from arc.evaluation.premise import measure_premise
from arc.evaluation.protocols import get_protocol
from arc.training.checkpoint import load_module

torch.set_num_threads(1)
from arc.data.synthrooms import clutter as _c
_c.ClutterDial.coverage_scale = property(lambda self: min(self.strength, 2.0))  # exploration: coverage grows up to 2x above level 1
out = Path(sys.argv[1]); ckpts = sys.argv[2:]
levels = [2.0, 3.0]
records = []
for level in levels:
    src, cache = out / f"src{level:g}", out / f"cache{level:g}"
    if not cache.exists():
        generate_benchmark("indoor", src, height=48, width=64, counts={"real_val": 30}, seed=0, clutter_strength=level)
        build_cache("synthrooms", src, cache, height=48, width=64, split="real_val", benchmark="synthrooms-indoor")
    for ck in ckpts:
        res = measure_premise(load_module(ck, "depth", needed_for="premise dial"), cache, get_protocol("synthrooms-indoor"), seed=0)
        rows = {r["intervention"]: r for r in res["rows"]}
        rec = {"level": level, "depth": ck, "clutter_fraction": res["clutter_fraction"], "kinds": res["kind_fractions"],
               **{f"{k}_pct": rows[k]["rms_log_change_pct"] for k in rows if k != "as_captured"},
               "as_captured_rms_log": rows["as_captured"]["rms_log"]}
        records.append(rec)
        print(json.dumps(rec), flush=True)
(out / "dial_premise.json").write_text(json.dumps(records, indent=1))
