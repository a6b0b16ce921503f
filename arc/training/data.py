"""The splits a stage reads and their batch order.

Training reads only ``syn_train``, ``real_train`` and ``real_val`` of a benchmark cache;
``real_test`` is never opened here. Batch order is a pure function of (seed, split, epoch)
so a resumed stage sees exactly the batches an uninterrupted run would.

Epoch length, for every stage (``training.epoch: synthetic``, the default): as many steps as one
pass over the larger of syn_train and real_train, whatever domains the stage draws from. (The
authors' paired loader instead makes one pass over the real set, each real image with a random
synthetic one: ``training.epoch: real``, arc.training.recipe.) Each
domain a stage uses is cycled (reshuffled every pass), so the larger set is seen exactly once
per epoch and every stage/row gets the same update budget per epoch (the real-only baseline and
the real-only phases are not under-trained because the real set is 10x smaller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import torch
from torch.utils.data import DataLoader

from arc.data.cache import read_manifest
from arc.errors import DataError
from arc.utils.seeding import derive_seed

SPLITS = {"syn": "syn_train", "real": "real_train", "val": "real_val"}


@dataclass
class StageData:
    """Datasets of one benchmark cache (``data_dir`` = data/cache/<benchmark>)."""

    data_dir: Path
    datasets: dict  # "syn" / "real" / "val" -> DepthDataset
    manifests: dict  # same keys -> manifest dict
    counts: dict  # "syn" / "real" -> number of training images (read from the manifests)
    max_depth: float
    height: int
    width: int
    benchmark: str

    def steps_per_epoch(self, batch_size: int) -> int:
        return math.ceil(max(self.counts.values()) / batch_size)

    def __getitem__(self, name: str):
        return self.datasets[name]


def open_stage_data(data_dir: str | Path, domains: tuple[str, ...]) -> StageData:
    """Open the training domains ("syn", "real") plus real_val (always, for model selection)."""
    from arc.data.dataset import DepthDataset

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"benchmark cache {data_dir} does not exist; expected data/cache/<benchmark> with splits {sorted(SPLITS.values())}")
    names = [*domains, "val"]
    manifests = {name: read_manifest(data_dir / SPLITS[name]) for name in {*names, "syn", "real"}}
    counts = {name: int(manifests[name]["count"]) for name in ("syn", "real")}
    manifests = {name: manifests[name] for name in names}
    first = manifests["val"]
    for name, manifest in manifests.items():
        for key in ("height", "width", "max_depth"):
            if manifest.get(key) != first.get(key):
                raise DataError(
                    f"{data_dir / SPLITS[name] / 'manifest.json'}: {key} = {manifest.get(key)!r} differs from "
                    f"real_val's {first.get(key)!r}; all splits of a benchmark must share it"
                )
        if not manifest.get("count"):
            raise DataError(f"{data_dir / SPLITS[name] / 'manifest.json'}: the split holds no images (count = {manifest.get('count')!r})")
    datasets = {name: DepthDataset(data_dir / SPLITS[name], eval_extras=False) for name in names}
    return StageData(
        data_dir=data_dir,
        datasets=datasets,
        manifests=manifests,
        counts=counts,
        max_depth=float(first["max_depth"]),
        height=int(first["height"]),
        width=int(first["width"]),
        benchmark=str(first.get("benchmark", data_dir.name)),
    )


class _PassBatches:
    """The batch sampler of a stream's one loader: the batches of the pass being read, set
    before each pass (the loader asks its sampler for a new iterator at every pass)."""

    def __init__(self):
        self.batches: list[list[int]] = []

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def _loader_options(num_workers: int, pin_memory: bool) -> dict:
    """One loader for a whole stage: its worker processes live as long as it does (persistent,
    each keeping ``prefetch_factor`` batches ready), pinned memory for asynchronous copies to CUDA.
    The loader's own generator only seeds its workers (the datasets draw no random numbers), and
    keeps the loader from drawing that seed from the global RNG."""
    options = {"num_workers": num_workers, "pin_memory": pin_memory, "generator": torch.Generator().manual_seed(0)}
    if num_workers > 0:
        options.update(persistent_workers=True, prefetch_factor=4)
    return options


class BatchStream:
    """Shuffled batches of one dataset; the order depends only on (seed, name, epoch, pass).
    One DataLoader serves every pass of the stage (built at the first)."""

    def __init__(self, dataset, batch_size: int, *, seed: int, name: str, num_workers: int = 0, pin_memory: bool = False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.seed = seed
        self.name = name
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self._order = _PassBatches()
        self._loader: DataLoader | None = None

    def __len__(self) -> int:
        return math.ceil(len(self.dataset) / self.batch_size)

    def batch_indices(self, epoch: int, pass_index: int) -> list[list[int]]:
        generator = torch.Generator().manual_seed(derive_seed(self.seed, "batches", self.name, epoch, pass_index))
        order = torch.randperm(len(self.dataset), generator=generator).tolist()
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def _pass(self, epoch: int, pass_index: int) -> Iterator[Mapping]:
        if self._loader is None:
            self._loader = DataLoader(self.dataset, batch_sampler=self._order, **_loader_options(self.num_workers, self.pin_memory))
        self._order.batches = self.batch_indices(epoch, pass_index)
        return iter(self._loader)

    def epoch(self, epoch: int) -> Iterator[Mapping]:
        """One pass over the dataset."""
        return self._pass(epoch, 0)

    def endless(self, epoch: int) -> Iterator[Mapping]:
        """Passes 0, 1, 2, ... of this epoch (pass 0 is exactly ``self.epoch(epoch)``)."""
        p = 0
        while True:
            yield from self._pass(epoch, p)
            p += 1


def cycled_batches(streams: Mapping[str, BatchStream], epoch: int, steps: int) -> Iterator[dict]:
    """``steps`` batches of every stream, each cycled (reshuffled every pass); yields ``{name: batch}``."""
    iterators = {name: stream.endless(epoch) for name, stream in streams.items()}
    for _ in range(steps):
        yield {name: next(iterator) for name, iterator in iterators.items()}


def validation_batches(dataset, batch_size: int, num_workers: int = 0) -> DataLoader:
    """real_val in order. The loader is built once per dataset and kept on it, so every
    validation of a stage reuses its worker processes; pinned memory where CUDA is."""
    loaders = dataset.__dict__.setdefault("_validation_loaders", {})
    key = (batch_size, num_workers)
    if key not in loaders:
        loaders[key] = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                                  **_loader_options(num_workers, torch.cuda.is_available()))
    return loaders[key]
