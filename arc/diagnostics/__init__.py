"""Diagnostics behind docs/findings-synthrooms.md and docs/attention-stage3.md (not part of the DAG).

``arc diagnose <name>`` (``arc.diagnostics.cli``) runs each in a workflow directory:

- ``error-ceiling``: an attention that knows each image's ground truth removes D's largest errors
  (``ceiling``); how much of the clutter can any A trained through D's error find?
- ``objective-optimum``: free per-image masks optimised on A's own objective (``objective``).
- ``oracle-target``: A's network trained on the true clutter mask (``oracle_target``).
- ``patch-sensitivity``: which local appearance changes move a fixed D's depth (``patches``).
- ``stage3-probe``: the authors'-recipe stage 3 step by step, through the stage's ``step_probe``
  (``stage3_probe``).
- ``twin-gain``: each row's own networks on the clutter-free twins, a perfect A and I (``twin_gain``);
  where a perfect A pays for one D and not for another, which training lost it.
- ``recipe-real-val`` / ``recipe-seed-check``: a recipe choice on real_val, checked on another seed
  (``recipe``).

They share one depth-error code (``depth_error``) and the workflow's folder layout (``layout``).
"""
