"""ARC networks. Importing this package registers every network with the registry."""

from arc.models import attention, authors, depth_unet, discriminators, resnet_generator, vgg_features  # noqa: F401  (registration)
from arc.models.pipeline import ARCPipeline, compose_inpainting
from arc.models.registry import build_model, count_parameters, list_models, model_spec, register_model

__all__ = [
    "ARCPipeline",
    "build_model",
    "compose_inpainting",
    "count_parameters",
    "list_models",
    "model_spec",
    "register_model",
]
