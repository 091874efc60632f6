"""The Activations page's image sources by name, the labels of its Image box.

Shared: Start here (drawn on every page) sends a learner to Activations with a digit or a garment
chosen. The weights' kinds are the library's (``alexnet.network.weights_choice``).
"""

from __future__ import annotations

PHOTO, DIGIT, GARMENT, UPLOAD = "Sample photo", "Digit", "Garment", "Upload"  # GARMENT: a Fashion-MNIST test image
