"""The command line, ``python -m alexnet COMMAND``: argparse, one module per subcommand.

- ``main``: the dispatcher (``main(argv) -> exit code``); a user's mistake exits 2 with a plain message.
- ``options``: ``--preset``/``--config`` and the overrides that every network-taking command shares.
- ``presets``, ``shapes``, ``summary``: the network's arithmetic and torchinfo's table (no training).
- ``train``, ``explain``, ``bench``: training runs, a run's Grad-CAM as a PNG, the speed benchmark.
  They import torch, so they are imported only when they run.
"""

from alexnet.cli.main import main

__all__ = ["main"]
