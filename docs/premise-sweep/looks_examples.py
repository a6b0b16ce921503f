"""Draws looks_examples.png: real images at level 3 with one look (plain shadows) and with four
(each image draws plain, blinds, tinted or dappled), their clutter-free twin and the clutter mask.

    python docs/premise-sweep/looks_examples.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from arc.data.synthrooms import render_sample  # noqa: E402
from arc.data.synthrooms.clutter import SHADOW_LOOKS  # noqa: E402

SEEDS = (6, 10, 5, 2, 15, 19)
HERE = Path(__file__).resolve().parent


def main() -> None:
    fig, axes = plt.subplots(4, len(SEEDS), figsize=(2.2 * len(SEEDS), 7.2))
    for col, seed in enumerate(SEEDS):
        plain = render_sample("indoor", "real", seed, 96, 128, clutter_strength=3.0)
        looks = render_sample("indoor", "real", seed, 96, 128, clutter_strength=3.0, clutter_looks=4)
        look = next((k for k in looks.info["clutter_items"] if k in SHADOW_LOOKS), "no spot")
        for row, (image, title) in enumerate(((plain.rgb, "level 3, 1 look"), (looks.rgb, f"4 looks: {look}"),
                                              (plain.clean_rgb, "twin"), (plain.clutter_mask, "clutter mask"))):
            ax = axes[row, col]
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
            ax.set_title(title, fontsize=7)
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(HERE / "looks_examples.png", dpi=110)


if __name__ == "__main__":
    main()
