"""The dial's effect on one fixed D trained on synthetic images only (syn_train does not depend on the
dial): generate real_val per level (benchmark seed 0, 48x64, 30 images: at level 1 the demo's real_val),
then the premise interventions (arc.evaluation.premise.measure_premise) with that D.
Usage (PYTHONPATH = a checkout): python dial_premise_syn_only.py OUT_DIR DEPTH_CHECKPOINT [...]
Run on 2026-12-06 with runs/premise_sweep/level3/runs/synthrooms-indoor/seed2/syn_only/checkpoint.pt
of the sweep (trained at commit 107f350; its epoch was selected on level 3's real_val)."""
import json, sys
from pathlib import Path
import torch
from arc.data.cache import build_cache
from arc.data.synthrooms.generate import generate_benchmark
from arc.evaluation.premise import measure_premise
from arc.evaluation.protocols import get_protocol
from arc.training.checkpoint import load_module


def measure_levels(out: Path, ckpts: list[str], levels: list[float]) -> list[dict]:
    """real_val of each level (generated and cached under OUT once), the premise interventions per D."""
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
    return records


if __name__ == "__main__":
    torch.set_num_threads(1)
    measure_levels(Path(sys.argv[1]), sys.argv[2:], [0.0, 0.5, 1.0, 2.0, 3.0, 4.0])
