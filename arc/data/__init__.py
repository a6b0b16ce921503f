"""Datasets: the SynthRooms generator, real-dataset readers, sampling, the decoded cache.

Entry points (import the submodule you need; this package imports nothing heavy):
- ``arc.data.synthrooms.generate_benchmark(family, out, height=, width=, counts=, seed=)``
  writes the embedded benchmark (``arc data generate``);
- ``arc.data.readers.open_reader(dataset, root)`` / ``locate(dataset, path)`` decode
  NYU (raw/sync and labelled .mat), PBRS, KITTI, vKITTI 1.3.1/2 and SynthRooms into
  ``Record(name, rgb uint8 HxWx3, depth float32 metres, 0 = invalid)``;
- ``arc.data.preprocess`` crops/resizes/clips (depth always nearest);
- ``arc.data.sampling.sample_split`` / ``read_split_list`` / ``write_split_list``
  make the paper's seeded split lists (``arc data sample``; committed ones in data/splits/);
- ``arc.data.cache.build_cache`` / ``write_cache`` / ``open_cache`` store a split as
  memory-mapped uint8/uint16 arrays + manifest.json (``arc data cache``);
- ``arc.data.dataset.DepthDataset(split_dir, eval_extras=False)`` serves it to torch.
"""
