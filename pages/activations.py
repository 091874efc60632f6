"""Activations: one real image through the network, every layer's feature maps and conv1's filters.

The model comes from ONE cached function, ``pages.parts.activations.activation_data.load_model(config, weights,
stamp)`` (with the page's other cached work, which the server warms ahead of a first visit), and
the weights from the sidebar's Weights box (``pages.parts.activations.weights_box``): random initialisations,
torchvision's ImageNet weights, an uploaded safetensors file, or a trained run.
Weights that belong to a network of their own (ImageNet, a file, a run) bring their config with
them: the page then draws that network, not the sidebar's, and says so.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.inspect import images, pretrained
from alexnet.inspect.preparation import resize_title
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.network.weights_choice import FILE, IMAGENET, RUN, WeightsChoice
from alexnet.plots import activations as plots
from alexnet.runs.weights_meaning import DIGITS, class_names, grey_filters, true_class
from alexnet.training import fashion_mnist
from pages.parts.activations import gradcam_view, output_view, receptive_field_view
from pages.parts.activations.activation_data import (
    garment,
    load_model,
    model_lock,
    prepare,
    run_image,
    trained_on,
    view_config,
)
from pages.parts.activations.weights_box import choose_weights
from pages.parts.common.image_sources import DIGIT, GARMENT, PHOTO, UPLOAD
from pages.parts.common.navigation import through_app
from pages.parts.common.onnx_download import onnx_button
from pages.parts.common.sidebar import restore_network, show_error, sidebar, use_preset
from pages.parts.common.start_here import GRADCAM_ANCHOR, RECEPTIVE_ANCHOR, land_here, start_here_box, try_next

# The page's figures, cached by their inputs (arrays hashed by content) and shared read-only
# (st.plotly_chart serialises a copy): plotly built each in 10-40 ms, 0.2 s of every visit.
_figure = st.cache_resource(max_entries=48, show_spinner=False)
picture_figure = _figure(plots.picture_figure)
feature_map_figure = _figure(plots.feature_map_figure)
ranges_figure = _figure(plots.ranges_figure)

COUNTS = {"16": 16, "32": 32, "64": 64, "all": None}
ORDERS = {"first channels": "index", "most active": "active"}
DIGIT_EXAMPLES = min(images.digit_counts().values())  # every digit has at least this many examples
GARMENT_EXAMPLES = fashion_mnist.TEST_IMAGES // len(fashion_mnist.CLASSES)  # 1,000 test images of each class
PLOT_CONFIG = {"displayModeBar": False}

# One sentence per kind of layer: what a learner should notice in its maps.
LAYER_NOTES = {
    "conv": "Each map is the input slid under one {filters} filter (a weighted sum plus a bias): "
    "**blue is negative, red positive, white zero**.",
    "relu": "ReLU keeps positive values and sets negatives to 0, max(0, x): the blue is gone.",
    "tanh": "tanh squashes every value into (-1, 1): the blue stays, and strong values flatten out near ±1, "
    "where its slope, and so the gradient, is almost 0.",
    "norm": "Local response normalisation divides each value by the activity of its neighbouring channels, "
    "so a strongly active channel damps the ones beside it.",
    "pool": "Max-pooling keeps the largest value of each window: the maps shrink, the strong spots survive.",
    "avgpool": "Adaptive average pooling averages each map down to a fixed size for the classifier.",
}


def choose_image() -> tuple[str, str, bytes | None]:
    """The image source widgets: (source, choice, uploaded bytes)."""
    sources = [PHOTO, DIGIT, GARMENT, UPLOAD] if fashion_mnist.on_this_machine() else [PHOTO, DIGIT, UPLOAD]
    left, right = st.columns([1.1 + 0.9 * (len(sources) - 3), 2], vertical_alignment="bottom")  # one line of options
    source = left.radio("Image", sources, key="act_source", horizontal=True)
    if source == PHOTO:
        name = right.selectbox(
            "Photo",
            list(images.SAMPLE_PHOTOS),
            key="act_photo",
            format_func=lambda n: f"{images.SAMPLE_PHOTOS[n].title} ({images.SAMPLE_PHOTOS[n].credit})",
        )
        return source, name, None
    if source in (DIGIT, GARMENT):
        digits = source == DIGIT
        kind_col, example_col = right.columns(2)
        kind = kind_col.selectbox(
            source,
            range(len(fashion_mnist.CLASSES)),  # ten of either: digits 0-9, garments by name
            format_func=str if digits else fashion_mnist.CLASSES.__getitem__,
            key="act_digit" if digits else "act_garment",
        )
        example = example_col.number_input(
            "Example",
            min_value=0,
            max_value=(DIGIT_EXAMPLES if digits else GARMENT_EXAMPLES) - 1,
            value=0,
            key="act_digit_example" if digits else "act_garment_example",
            help="scikit-learn's bundled 8 x 8 digits: about 180 handwritten examples of each."
            if digits
            else "Fashion-MNIST's test images (28 x 28 grey), which no run trains on: 1,000 of each class.",
        )
        return source, f"{kind}:{example}", None
    upload = right.file_uploader(
        "Your image (PNG, JPEG, WebP, BMP or GIF; at most 40 megapixels)",
        type=list(images.UPLOAD_TYPES),
        key="act_upload",
    )
    if upload is None:
        st.info("Choose an image file to see what the network makes of it.", icon=":material/upload:")
        st.stop()
    return source, upload.name, upload.getvalue()


def show_preprocessing(image: images.Preprocessed, config: AlexNetConfig, source: str) -> None:
    size, channels = config.input_size, config.in_channels
    height, width = image.original_size
    st.subheader("1 · Preprocessing", divider="gray")
    original, resized, normalized = st.columns([1, 1, 1.5])
    original.plotly_chart(picture_figure(image.original, title=f"Original, {width} x {height}"), config=PLOT_CONFIG)
    colour = "RGB" if channels == 3 else "greyscale"
    resized.plotly_chart(
        picture_figure(image.resized, title=resize_title(height, width, size, colour, separator="<br>")),
        config=PLOT_CONFIG,
    )
    names = ["R", "G", "B"] if channels == 3 else ["grey"]
    normalized.plotly_chart(
        feature_map_figure(
            image.normalized.numpy(),
            range(channels),
            labels=names,
            columns=channels,
            width=420,
            max_height=190,
            title="Normalised, channel by channel",
        ),
        config=PLOT_CONFIG,
    )
    mean = ", ".join(f"{m:.3f}" for m in image.mean)
    std = ", ".join(f"{s:.3f}" for s in image.std)
    subject = {DIGIT: "digit", GARMENT: "garment"}.get(source)
    grey = f" Each {subject}'s grey value is copied into all three channels." if subject and channels == 3 else ""
    text, chart = st.columns([1, 1.5])
    text.markdown(
        f"Pixels become numbers near zero: first x = pixel / 255 (0 to 1), then per channel"
        f"\n\n$$x' = \\dfrac{{x - \\text{{mean}}}}{{\\text{{std}}}}$$\n\n"
        f"with ImageNet's mean = ({mean}) and std = ({std}){' for R, G, B' if channels == 3 else ''}.{grey}"
    )
    chart.plotly_chart(
        ranges_figure(plots.input_ranges(image.scaled.numpy(), image.normalized.numpy())), config=PLOT_CONFIG
    )


def show_feature_maps(config: AlexNetConfig, run: images.ImageRun, *, random: bool) -> None:
    st.subheader("2 · Feature maps", divider="gray")
    layers = {layer.module: layer for layer in plots.spatial_layers(analyze(config).layers) if layer.module in run.maps}
    if st.session_state.get("act_layer") not in layers:
        st.session_state.pop("act_layer", None)  # another preset: its layers have other names
    pick, count, order, scale = st.columns([2, 1, 1.4, 1.4])
    module = pick.selectbox(
        "Layer",
        list(layers),
        key="act_layer",
        # names only: with a shape in the label, the browser kept showing the old shape when another
        # network (a run's, another preset) gave the same layer a new size
        format_func=lambda m: layers[m].name if m in layers else m,
    )
    shown = count.selectbox("Maps shown", list(COUNTS), index=1, key="act_count")
    order_name = order.radio("Which", list(ORDERS), key="act_order", horizontal=True)
    scale_name = scale.radio(
        "Colour scale",
        ["shared", "per map"],
        key="act_scale",
        horizontal=True,
        help="shared: one scale for all maps, to compare them. per map: each map stretched to its own maximum, "
        "to see the pattern in a weak one.",
    )

    layer, maps = layers[module], run.maps[module]
    channels = plots.pick_channels(maps, COUNTS[shown], ORDERS[order_name])
    note = LAYER_NOTES.get(layer.kind, "").format(filters="random" if random else "learned")
    formula = f" Size: {layer.formula}." if layer.formula else ""
    st.markdown(
        f"**{layer.name}** has {maps.shape[0]} maps of {maps.shape[1]} x {maps.shape[2]}; showing {len(channels)}. "
        f"{note}{formula}"
    )
    st.plotly_chart(
        feature_map_figure(maps, channels, shared_scale=scale_name == "shared"),
        config=PLOT_CONFIG,
        key="act_grid",
    )
    stats = plots.channel_stats(maps)
    with st.expander(f"Statistics of all {len(stats)} channels of {layer.name}"):
        st.dataframe(
            stats,
            hide_index=True,
            height=280,
            column_config={
                "channel": st.column_config.NumberColumn("channel", format="#%d"),
                "min": st.column_config.NumberColumn(format="%.3f"),
                "mean": st.column_config.NumberColumn(format="%.3f"),
                "max": st.column_config.NumberColumn(format="%.3f"),
                "zeros": st.column_config.ProgressColumn(
                    "zeros", help="fraction of positions exactly 0", min_value=0.0, max_value=1.0, format="percent"
                ),
            },
        )


through_app(__file__)  # a bookmark on a fresh server runs this script alone: app.py's part first
config = sidebar()
weights = choose_weights()
st.title("Activations")
st.markdown(
    "A **feature map** is one channel of a layer's output: a small image that is bright where that "
    "channel's filter finds its pattern (an edge, a colour, a texture) in the layer's input. "
    "Follow one image from pixels to the classifier."
)
start_here_box(use_preset, restore_network)

if weights == FILE:
    st.info(
        "Upload a .safetensors file under the Weights box in the sidebar: a run's weights (select the run "
        "under All runs on the Training page and press its Weights button). The file brings its own network.",
        icon=":material/upload_file:",
    )
    st.stop()
try:
    chosen = WeightsChoice.parse(weights)
    view = view_config(config, weights)
except AlexNetError as error:
    show_error(error)
    st.stop()
if weights == IMAGENET and not pretrained.is_cached():
    st.info(
        "The ImageNet weights are not on this machine yet: download them with the button in the sidebar "
        "(233 MB, needs internet), or choose other weights.",
        icon=":material/download:",
    )
    st.stop()
if view != config:
    st.caption(
        f"These weights belong to their own network ({view.input_size} x {view.input_size} input, "
        f"{view.in_channels} channel{'s' if view.in_channels != 1 else ''}, {view.num_classes} classes), "
        "so this page uses that network, not the one set in the sidebar."
    )

report = analyze(view)
if report.error is not None:
    show_error(report.error)
    st.stop()

source, choice, upload = choose_image()
stamp = runs.checkpoint_stamp(chosen.value) if chosen.kind == RUN else 0
try:
    image, notes = prepare(source, choice, upload, view)
    run = run_image(view, weights, stamp, image.key, image)
except AlexNetError as error:
    show_error(error)
    st.stop()
for note in notes:
    st.info(note, icon=":material/info:")

show_preprocessing(image, view, source)
dataset = trained_on(weights)  # one look at the run's files for the three questions below
image_dataset = {DIGIT: DIGITS, GARMENT: fashion_mnist.NAME}.get(source)
label = int(choice.split(":")[0]) if image_dataset else 0  # "<class>:<example>"
names = class_names(view.num_classes, chosen, dataset)
truth = true_class(view.num_classes, chosen, dataset, image_dataset, label)
grey = grey_filters(view.in_channels, chosen, dataset, image.resized)
show_feature_maps(view, run, random=chosen.random)
output_view.show(view, run, random=chosen.random, grey=grey, names=names, true_class=truth)
if source == DIGIT:
    subject, picture = "digit", images.digit_sample(*(int(part) for part in choice.split(":")))
else:
    subject, picture = "garment", garment(choice) if source == GARMENT else None
model = load_model(view, weights, stamp)
with st.sidebar:  # under the Weights box: these weights, for Netron
    onnx_button(view, lambda: model, weights=weights, key="act_onnx", lock=model_lock())
gradcam_view.show(
    view, weights, stamp, image, model, model_lock(), names, digit=picture, subject=subject, true_class=truth
)
receptive_field_view.show(view, run, image)
for anchor in (RECEPTIVE_ANCHOR, GRADCAM_ANCHOR):
    land_here(anchor)  # where a Start-here step opened this page for that section
if chosen.random:
    try_next(
        f"train this network on {'Fashion-MNIST' if fashion_mnist.on_this_machine() else 'the digits'} on Training, "
        "then come back, pick its weights in the sidebar and see what the trained filters and Grad-CAM show.",
        "pages/training.py",
        "Training",
    )
else:  # trained weights are picked already: the next question is how they came about
    try_next(
        "see how these weights learned: the run's filters, confusion matrix and mistakes on Training.",
        "pages/training.py",
        "Training",
    )
