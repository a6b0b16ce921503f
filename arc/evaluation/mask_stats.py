"""Statistics of ARC's attention mask (1 = keep) against the true clutter mask (1 = clutter).

The region ARC removes is ``1 - M``; on SynthRooms we know which pixels are
clutter, so IoU(removed, clutter) says whether A learned to remove clutter.
Both are pooled over all pixels of the test set (an image with neither
removal nor clutter has no IoU of its own).

With the clutter kind map, the removed region is also scored against *appearance* clutter
(the flat kinds whose removal is also right for depth, ``clutter.APPEARANCE_KINDS``), and with
A's logits the AUC says how well A ranks clutter pixels for removal (low logit = remove),
independently of where the hard mask is cut. The AUC is computed from a fine histogram of the
logits, so memory stays constant at any test-set size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Logit histogram for the AUC: bins of 0.01 over [-40, 40] (logits beyond are clipped into the edges).
_AUC_EDGES = np.linspace(-40.0, 40.0, 8001)


def _appearance_codes() -> list[int]:
    from arc.data.synthrooms.clutter import APPEARANCE_KINDS, CLUTTER_KINDS

    return [CLUTTER_KINDS.index(k) for k in APPEARANCE_KINDS]


def auc_from_histograms(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """P(score of a positive > score of a negative), ties counted half, from per-bin counts."""
    n_pos, n_neg = positive.sum(), negative.sum()
    if n_pos == 0 or n_neg == 0:
        return None
    below = np.cumsum(negative) - negative  # negatives in strictly lower bins
    return float((positive * (below + 0.5 * negative)).sum() / (n_pos * n_neg))


@dataclass
class MaskStats:
    kept: int = 0
    pixels: int = 0
    intersection: int = 0  # removed & clutter
    union: int = 0  # removed | clutter
    has_clutter_mask: bool = False
    appearance_intersection: int = 0
    appearance_union: int = 0
    has_kinds: bool = False
    # Histograms of -logit (removal score) over clutter / clutter-free pixels.
    removal_hist_clutter: np.ndarray = field(default_factory=lambda: np.zeros(len(_AUC_EDGES) - 1))
    removal_hist_free: np.ndarray = field(default_factory=lambda: np.zeros(len(_AUC_EDGES) - 1))
    has_logits: bool = False

    def add(self, keep: np.ndarray, clutter: np.ndarray | None = None, *, kinds: np.ndarray | None = None,
            logits: np.ndarray | None = None) -> None:
        keep = np.asarray(keep, dtype=bool)
        self.kept += int(np.count_nonzero(keep))
        self.pixels += keep.size
        if clutter is not None:
            clutter = np.asarray(clutter, dtype=bool)
            if clutter.shape != keep.shape:
                raise ValueError(f"clutter mask shape {clutter.shape} differs from attention mask shape {keep.shape}")
            removed = ~keep
            self.intersection += int(np.count_nonzero(removed & clutter))
            self.union += int(np.count_nonzero(removed | clutter))
            self.has_clutter_mask = True
            if kinds is not None:
                appearance = np.isin(kinds, _appearance_codes())
                self.appearance_intersection += int(np.count_nonzero(removed & appearance))
                self.appearance_union += int(np.count_nonzero(removed | appearance))
                self.has_kinds = True
            if logits is not None:
                score = np.clip(-np.asarray(logits, dtype=np.float64), _AUC_EDGES[0], _AUC_EDGES[-1])
                self.removal_hist_clutter += np.histogram(score[clutter], _AUC_EDGES)[0]
                self.removal_hist_free += np.histogram(score[~clutter], _AUC_EDGES)[0]
                self.has_logits = True

    @property
    def keep_rate(self) -> float:
        return self.kept / self.pixels if self.pixels else float("nan")

    @property
    def iou(self) -> float | None:
        """IoU of the removed region with the clutter; None without a clutter mask, 1.0 if both are empty."""
        if not self.has_clutter_mask:
            return None
        return self.intersection / self.union if self.union else 1.0

    @property
    def appearance_iou(self) -> float | None:
        """IoU of the removed region with appearance clutter only (None without the kind map)."""
        if not self.has_kinds:
            return None
        return self.appearance_intersection / self.appearance_union if self.appearance_union else 1.0

    @property
    def logit_auc(self) -> float | None:
        """AUC of A's removal score (-logit) for clutter vs clutter-free pixels (None without logits)."""
        if not self.has_logits:
            return None
        return auc_from_histograms(self.removal_hist_clutter, self.removal_hist_free)

    def kind_summary(self) -> dict:
        """The optional statistics that exist for this run, for metrics.json."""
        out = {}
        if self.appearance_iou is not None:
            out["mask_iou_appearance"] = self.appearance_iou
        if self.logit_auc is not None:
            out["mask_logit_auc"] = self.logit_auc
        return out
