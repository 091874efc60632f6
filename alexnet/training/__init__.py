"""Training: the loop, the run around it, and the files a run writes.

- ``loop``: ``Trainer``, a generic loop with callbacks; it knows nothing of run folders.
- ``run``: ``train_run``, a whole run: network, data, optimizer, hooks, recorder, checkpoints.
- ``settings``: ``TrainSettings`` and the defaults; ``data``: the datasets (digits bundled),
  ``fashion_mnist``: Fashion-MNIST found on this machine (Debian's package) or downloaded;
  ``published``: the published results a Fashion-MNIST run is placed among.
- ``context``: ``RunContext``, what a run's hooks see; ``results``: per-epoch predictions and filters.
- ``recorder``: metrics, status and checkpoints as the loop runs; ``run_folder``: the files' names
  and formats; ``run_id``: the one run-id check.
- ``distributed``, ``environment``, ``stop_signal``: torchrun, the trainer's allocator and
  threads, and a Stop that finishes the step and saves.
"""
