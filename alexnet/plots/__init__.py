"""Plotly figure builders: arrays and shape tables in, figures out. Pure functions, no Streamlit.

One module per view: ``architecture`` (the network drawing and per-layer bars),
``activations`` (feature maps and filters) and ``training`` (loss and accuracy curves).
"""
