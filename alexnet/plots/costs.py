"""Per-layer cost charts for the Summary page: parameters, mult-adds, activation memory, and the
receptive field and jump of every windowed layer.

Every builder takes ``alexnet.network.shapes.LayerShape`` rows (``analyze(config).layers``) and
returns a plotly figure; nothing here knows about Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alexnet.network.shapes import LayerShape
from alexnet.plots.architecture import COLORS
from alexnet.units import range_text


def cost_figure(layers: Sequence[LayerShape], *, height: int = 660) -> go.Figure:
    """Three bar charts sharing the layer axis: parameters, mult-adds and activation memory.

    Mult-adds count one multiply-accumulate per weight use (torchinfo's rule); activation
    memory is one float32 output per image: C * H * W * 4 bytes.
    """
    names = [layer.name for layer in layers]
    colors = [COLORS.get(layer.kind, "#bab0ac") for layer in layers]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,  # room for each panel's title above it, clear of the bars below
        subplot_titles=("Parameters", "Mult-adds per image", "Activation memory per image (MB)"),
    )
    series = (
        ([layer.params for layer in layers], "%{x}: %{y:,} parameters<extra></extra>"),
        ([layer.mult_adds for layer in layers], "%{x}: %{y:,} mult-adds<extra></extra>"),
        ([layer.activation_bytes / 1e6 for layer in layers], "%{x}: %{y:.2f} MB<extra></extra>"),
    )
    for row, (values, template) in enumerate(series, start=1):
        fig.add_trace(
            go.Bar(x=names, y=values, marker_color=colors, hovertemplate=template, showlegend=False), row=row, col=1
        )
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.25)
    fig.update_xaxes(tickangle=-45)
    return fig


def receptive_field_figure(layers: Sequence[LayerShape], input_size: int, *, height: int = 340) -> go.Figure:
    """Receptive field (bars) and jump (line) per conv and pool layer, with the input size for scale.

    r_out = r_in + (K - 1) * j_in and j_out = j_in * S, from r = j = 1 at the image. Where an
    adaptive pool's cells differ, the bar is the widest field with an error bar down to the narrowest.
    """
    # ReLU and LRN see exactly what the layer before them saw: only windowed layers are shown
    spatial = [layer for layer in layers if layer.kind in ("conv", "pool", "avgpool")]
    names = [layer.name for layer in spatial]
    fields = [layer.receptive_range for layer in spatial]
    jumps = [layer.jump_range for layer in spatial]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=names,
            y=[high for _, high in fields],
            # an adaptive pool whose map does not divide evenly: cells see different widths
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [0] * len(fields),
                "arrayminus": [high - low for low, high in fields],
                "color": "#555",
            },
            customdata=[range_text(*field) for field in fields],
            name="receptive field (px)",
            marker_color=[COLORS.get(layer.kind, "#bab0ac") for layer in spatial],
            hovertemplate="%{x}: each cell sees %{customdata} input pixels per side<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=names,
            y=[high for _, high in jumps],
            customdata=[range_text(*jump) for jump in jumps],
            name="jump (px between outputs)",
            mode="lines+markers",
            line={"color": "#222"},
            hovertemplate="%{x}: neighbouring outputs are %{customdata} input pixels apart<extra></extra>",
        )
    )
    fig.add_hline(
        y=input_size,
        line={"dash": "dash", "color": "#d62728"},
        annotation_text=f"input image: {input_size} px",
        annotation_position="top left",
    )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis_title="input pixels",
        legend={"orientation": "h", "y": 1.12, "x": 0},
    )
    fig.update_xaxes(tickangle=-45)
    return fig
