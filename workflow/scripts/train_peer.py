"""Workflow stage: `arc train <peer>` for a peer row (t2net, crdoco, gasda; see arc/training/stages/).
Usage: train_peer.py PEER [the arguments of `arc train PEER`]."""
import sys

from arc.training.cli import main_stage
from arc.training.stages import PEER_STAGES

if len(sys.argv) < 2 or sys.argv[1] not in PEER_STAGES:
    sys.exit(f"usage: {sys.argv[0]} {{{','.join(PEER_STAGES)}}} [arguments of `arc train PEER`]")
sys.exit(main_stage(sys.argv[1], sys.argv[2:]))
