"""What the network is, and its arithmetic: everything here is exact and needs no image.

- ``config``: the frozen ``AlexNetConfig`` / ``BlockConfig`` / ``LRNConfig``, ``Window`` (K, S, P), ``PRESETS``.
- ``model``: ``AlexNet`` and ``build_model`` from a config; ``lrn``: the fast LocalResponseNorm.
- ``output_size``: out = floor((W - K + 2P) / S) + 1, and the input sizes a network accepts.
- ``shapes``: ``analyze`` (every layer's shape, cost and receptive field), ``layer_window``.
- ``checks``: what cannot work, explained with a fix; ``window``: one axis of a sliding window.
- ``receptive``: the input pixels one feature-map cell reads; ``whatif``: one setting swept.
- ``edit``, ``diff``, ``link``, ``export``: slider limits and imports, changes against a preset,
  the page's link state, the stand-alone PyTorch file.
- ``memory``: the peak-memory estimate and the budget every real pass checks.

Only ``model`` and ``lrn`` import PyTorch; the rest is plain arithmetic the first page draws with.
"""
