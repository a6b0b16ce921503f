"""Can A's network represent the clutter at all? A trained on an oracle target, not ARC's objective.

One-off diagnostic (not part of the DAG): A's network (models.attention of the params) is trained
with binary cross-entropy against the true clutter mask of real_train (low logit = remove), Adam
2e-4, batch 16; printed: the IoU of its rho = 0.85 test mask with the clutter on real_val and
real_train every quarter of the epochs. Real data has no clutter mask: this only tells whether the
limit of ARC's A is its network or its training signal.
Usage (in a workflow directory whose data/cache holds a SynthRooms indoor benchmark):
    python docs/tools/attention_oracle_target.py params.yaml EPOCHS
"""
import sys, numpy as np, torch, torch.nn.functional as F
from arc.config import load_params
from arc.data.cache import open_cache
from arc.data.transforms import rgb_to_tensor
from arc.training.stages.common import build_network
from arc.models.gumbel import evaluation_mask
from arc.evaluation.mask_stats import MaskStats
torch.manual_seed(0); torch.set_num_threads(2)
params = load_params(sys.argv[1]); epochs = int(sys.argv[2])
tr = open_cache("data/cache/synthrooms-indoor/real_train"); va = open_cache("data/cache/synthrooms-indoor/real_val")
x = torch.stack([rgb_to_tensor(im) for im in np.asarray(tr.rgb)]); y = torch.from_numpy(np.asarray(tr.array("clutter_mask")) > 0).float()[:, None]
xv = torch.stack([rgb_to_tensor(im) for im in np.asarray(va.rgb)]); yv = np.asarray(va.array("clutter_mask")) > 0
net = build_network(params, "attention"); net.set_test_keep_fraction(0.85)
opt = torch.optim.Adam(net.parameters(), lr=2e-4)
for ep in range(epochs):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 16):
        b = perm[i:i+16]
        loss = F.binary_cross_entropy_with_logits(-net(x[b]), y[b])  # low logit = remove
        opt.zero_grad(); loss.backward(); opt.step()
    if (ep + 1) % max(1, epochs // 4) == 0:
        net.eval()
        with torch.no_grad():
            keep = evaluation_mask(net, net(xv))[:, 0].numpy() > 0.5
            keep_tr = evaluation_mask(net, net(x))[:, 0].numpy() > 0.5
        s = MaskStats(); s.add(keep, yv); st = MaskStats(); st.add(keep_tr, y[:, 0].numpy() > 0.5)
        print(f"epoch {ep+1}: loss {loss.item():.3f}  IoU real_val {s.iou:.3f}  IoU real_train {st.iou:.3f}")
        net.train()
