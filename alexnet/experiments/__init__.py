"""The paper's claims as experiments a learner runs on their own network.

- ``claims``: each claim's two variants (A, the paper's choice, and B), the one field they differ
  in, the measures that decide it and the paper's figures (``CLAIMS``, ``claim``, ``a_vs_b``).
- ``measures``: one run's numbers: steps to 25 % training error, validation error, the
  train-validation gap, parameters.
- ``verdict``: the rule (Welch's t-test) that says "holds here", "reversed here" or "within the
  seeds' spread".
- ``store``: an experiment's file in ``<runs>/experiments/`` and its runs in the runs queue:
  ``plan``, ``start``, ``stop``, ``resume``, ``load``, ``list_experiments``, ``state``.
- ``results``: the runs read back: mean ± sd per measure with the verdict, and each variant's
  curves as a mean line in a min-max band (``experiment_result``).
- ``report``: the results as the table the page and the command line print.
- ``foreground``: the runs trained in this process, for ``python -m alexnet experiment``.

Imports flow network <- training <- runs <- experiments <- cli / pages.
"""
