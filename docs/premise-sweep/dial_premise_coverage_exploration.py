"""EXPLORATION, not the committed dial: level > 1 also scales the coverage target (up to 2x).
The dial's effect on a D trained on synthetic images only (identical at every level: syn_train does not
depend on the dial): generate real_val per level (benchmark seed 0, 48x64, 30 images), then the premise
interventions (arc.evaluation.premise.measure_premise) with fixed Ds. Usage: measure.py OUT DEPTH_CKPT... """
import sys
from pathlib import Path
import torch
from arc.data.synthrooms import clutter as _c
from dial_premise_syn_only import measure_levels  # the same measurement; only the dial differs

torch.set_num_threads(1)
_c.ClutterDial.coverage_scale = property(lambda self: min(self.strength, 2.0))  # exploration: coverage grows up to 2x above level 1
measure_levels(Path(sys.argv[1]), sys.argv[2:], [2.0, 3.0])
