"""The authors' networks (yunhan-zhao/ARC @13add94), layer for layer, written for this project.

Selected per network with ``models.<key>.arch: authors`` (see arc/training/stages/common.py);
the project's own networks are ``arch: project``. Every remaining difference from the authors'
code and from the paper's text is listed in docs/deviations.md ("## Networks").
"""

from arc.models.authors import depth_unet, discriminators, generator  # noqa: F401  (registration)
