"""ARC losses: depth L1, attention sparsity (KL), perceptual/style, adversarial, inpainting."""
