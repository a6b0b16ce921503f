"""ARC: Attend, Remove, Complete -- a reproduction of Zhao et al., CVPR 2020.

Package map (one folder, one job):
  arc.data        datasets: SynthRooms generator, real-dataset readers, sampling, decoded cache
  arc.models      networks D, A, T, I, discriminators, VGG features (registry in arc.models.registry)
  arc.losses      depth, sparsity (KL), perceptual/style, adversarial losses
  arc.training    trainer loop with hooks, checkpoints, one module per training stage
  arc.evaluation  metrics, evaluation protocols, prediction
  arc.reports     tables and figures
  arc.config      params.yaml loading and schema validation
"""

__version__ = "0.1.0"
