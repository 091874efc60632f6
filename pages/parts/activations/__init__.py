"""The Activations page's halves: its data (image, weights, probe), the views of its outputs."""
