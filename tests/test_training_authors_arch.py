"""The training stages run with every network on the authors' variant (models.<key>.arch: authors),
at the demo's indoor size with tiny widths: each row's stages, T2Net's feature hook on D included."""

from __future__ import annotations

import yaml

from arc.cli import main
from conftest_training import make_tiny_cache, tiny_params

AUTHORS_MODELS = {
    "depth": {"arch": "authors", "base_width": 4},
    "attention": {"arch": "authors", "base_width": 4, "num_res_blocks": 1},
    "translator": {"arch": "authors", "base_width": 4, "num_res_blocks": 1},
    "inpainter": {"arch": "authors", "base_width": 4, "num_res_blocks": 1},
    "patch_discriminator": {"arch": "authors", "base_width": 4},
    # 48x64 has room for 5 halvings, not the authors' 6
    "inpaint_discriminator": {"arch": "authors", "base_width": 4, "num_global_layers": 5, "num_local_layers": 5},
}


def test_rows_train_with_the_authors_networks(tmp_path):
    cache = make_tiny_cache(tmp_path / "cache", height=48, width=64)  # the demo's indoor size
    params = tiny_params()
    params["models"].update(AUTHORS_MODELS)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(yaml.safe_dump(params))
    for row in ("arc_full", "t2net"):
        out = tmp_path / row
        assert main(["train", "row", "--row", row, "--params", str(params_file), "--data", str(cache), "--seed", "0", "--out", str(out)]) == 0
        assert list(out.rglob("checkpoint.pt"))
