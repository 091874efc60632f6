"""What a network does to one image, and the tables that show it.

- ``probe``: real forward passes with hooks (``probe``, ``probe_shapes`` on the meta device,
  ``analyze_and_probe``: the formula's table beside the real shapes of every layer that runs).
- ``summary``: torchinfo's layer table as rows and totals.
- ``images``: the bundled photos and digits, uploads checked before decoding, preprocessing.
- ``gradcam``: Grad-CAM and saliency with Captum; ``pretrained``: opt-in ImageNet weights.
- ``tables``: rows for the app's layer, summary and receptive-field tables (no PyTorch).
"""
