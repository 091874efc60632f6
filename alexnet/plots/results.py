"""What a run learned: confusion matrix, per-class accuracy, the most confidently wrong images, and
conv1's filters from initialisation to the last epoch.

Pure builders (plotly express): arrays in, figures out. The filters reuse the Activations page's
tiles (``alexnet.plots.activations.filter_tiles``: each filter stretched to its own range, in grey
for a run on grey images), one
mosaic per saved epoch, as the frames of one animated figure: its slider picks an epoch and its
play button runs through them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go

from alexnet.plots.activations import filter_tiles
from alexnet.plots.raster import GAP_RGB, grid_columns, mosaic

CORRECT_COLOR = "#54a24b"
HEIGHT = 420


def confusion_figure(matrix: np.ndarray, classes: Sequence[str], images: str = "validation") -> go.Figure:
    """Counts (row = true class, column = predicted class), each cell labelled; the diagonal is right.
    ``images`` names the set counted: "validation", or "test" for a dataset's official test set."""
    labels = [str(c) for c in classes]
    figure = px.imshow(
        matrix,
        x=labels,
        y=labels,
        text_auto=True,
        color_continuous_scale="Blues",
        labels={"x": "predicted class", "y": "true class", "color": "images"},
        aspect="auto" if len(labels) > 20 else "equal",
    )
    figure.update_xaxes(side="bottom", type="category")
    figure.update_yaxes(type="category")
    figure.update_layout(title=f"Confusion matrix ({images} set)", height=HEIGHT, margin={"l": 10, "r": 10, "t": 40})
    return figure


def class_accuracy_figure(accuracy: np.ndarray, classes: Sequence[str], totals: np.ndarray) -> go.Figure:
    """Per true class, the share of its validation images predicted right (in %), with its image count."""
    figure = px.bar(
        x=[str(c) for c in classes],
        y=[None if math.isnan(a) else 100 * a for a in accuracy],
        labels={"x": "class", "y": "accuracy (%)"},
        text=[f"{100 * a:.0f}%" if not math.isnan(a) else "" for a in accuracy],
        custom_data=[np.asarray(totals)],
    )
    figure.update_traces(
        marker_color=CORRECT_COLOR,
        hovertemplate="class %{x}: %{y:.1f}% of %{customdata[0]} images<extra></extra>",
        textposition="outside",  # above the bar: a class never right still shows its 0%
        cliponaxis=False,
    )
    figure.update_xaxes(type="category")
    figure.update_yaxes(range=[0, 112])
    figure.update_layout(title="Accuracy per class", height=HEIGHT, margin={"l": 10, "r": 10, "t": 40})
    return figure


def wrong_images_figure(pictures: np.ndarray, captions: Sequence[str], *, columns: int = 6) -> go.Figure:
    """Images (N, S, S, 3) uint8 in a grid, each titled with its caption ("true 3, said 8 (97%)")."""
    figure = px.imshow(
        pictures,
        facet_col=0,
        facet_col_wrap=min(columns, len(pictures)),
        binary_string=True,
        facet_row_spacing=0.12,
        facet_col_spacing=0.02,
    )
    for annotation in figure.layout.annotations:  # plotly names the facets "facet_col=<i>"
        annotation.update(text=captions[int(annotation.text.split("=")[1])], font={"size": 12})
    rows = math.ceil(len(pictures) / min(columns, len(pictures)))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(height=60 + 175 * rows, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    return figure


def filters_animation(
    weights: np.ndarray, epochs: Sequence[float], *, grey: bool = False, width: int = 620
) -> go.Figure:
    """conv1's filters (T, O, I, K, K) at T saved epochs: one mosaic per epoch, a slider and a play button.

    Each filter is stretched to its own range in every frame (the paper's Figure 3 does the same),
    so a frame shows each filter's pattern, not how large its weights have grown. ``grey`` (a run on
    grey images) draws each filter as the sum over its input channels, what those images meet.
    """
    count, kernel = weights.shape[1], weights.shape[-1]
    zoom = max(1, math.ceil(24 / kernel))  # small kernels enlarged by pixel repetition: they stay sharp
    columns = grid_columns(count, 1, 1, aspect=1.5)
    frames = []
    for step_weights in weights:
        tiles = filter_tiles(step_weights, grey=grey).repeat(zoom, axis=1).repeat(zoom, axis=2)  # (O, K*z, K*z, 3)
        frames.append(mosaic(tiles, columns, gap=2, fill=GAP_RGB)[0])
    stack = np.stack(frames)  # (T, H, W, 3)
    if len(stack) == 1:  # only the initial filters so far: one picture, nothing to animate (and plotly adds no slider)
        figure = px.imshow(stack[0], binary_string=True)
        figure.update_xaxes(visible=False)
        figure.update_yaxes(visible=False)
        height, picture_width = stack.shape[1:3]
        figure.update_layout(
            width=width, height=int(width * height / picture_width), margin={"l": 0, "r": 0, "t": 10, "b": 0}
        )
        return figure
    figure = px.imshow(stack, animation_frame=0, binary_string=True, labels={"animation_frame": "epoch"})
    names = [_epoch_label(e) for e in epochs]
    for frame, name in zip(figure.frames, names, strict=True):
        frame.name = name
    slider = figure.layout.sliders[0]
    for step, name in zip(slider.steps, names, strict=True):
        step.update(label=name, args=[[name], {**step.args[1], "frame": {"duration": 0, "redraw": True}}])
    slider.update(currentvalue={"prefix": "epoch "}, active=len(names) - 1, pad={"t": 30})
    play = figure.layout.updatemenus[0].buttons[0]
    # from the start, 0.4 s per epoch; an image cannot be tweened, so no transition
    play.update(
        args=[names, {**play.args[1], "frame": {"duration": 400, "redraw": True}, "transition": {"duration": 0}}]
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    height, picture_width = stack.shape[1:3]
    figure.update_layout(
        width=width,
        height=int(width * height / picture_width) + 150,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        dragmode=False,
    )
    # open on the last epoch (what the run learned), not the random start
    figure.data[0].update(source=figure.frames[-1].data[0].source)
    return figure


def _epoch_label(epoch: float) -> str:
    return f"{epoch:g}" if epoch == int(epoch) else f"{epoch:.2f}"
