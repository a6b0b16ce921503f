"""Training: one function per stage (arc.training.stages), a small hook-based loop,
self-describing checkpoints, and the Table-2 rows as stage compositions (rows.py)."""
