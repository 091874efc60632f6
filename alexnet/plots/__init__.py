"""Plotly figure builders: arrays and shape tables in, figures out. Pure functions, no Streamlit.

One module per view: ``architecture`` (the network drawing, per-layer bars, receptive fields),
``arithmetic`` (the sliding window along one axis, the what-if sweep), ``activations`` (feature
maps and filters), ``receptive`` (one cell's field on the image), ``prediction`` (top classes),
``gradcam``, ``training`` (loss and accuracy curves) and ``results`` (confusion, filters by epoch).
``raster`` turns arrays into palette PNGs; ``smoothing`` is the curves' moving average.
"""
