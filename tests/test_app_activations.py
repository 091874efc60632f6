"""The Activations page in Streamlit's AppTest: a real image through the network, widgets driven
as a learner would, a trained run offered as weights, invalid input shown as st.error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet import runs

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def activations_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/activations.py")
    at.run()
    return at


def check_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def feature_text(at: AppTest) -> str:
    """The sentence above the mosaic: '**conv1** has 96 maps of 55 x 55; showing 16. ...'."""
    return next(m.value for m in at.markdown if " maps of " in m.value and "showing" in m.value)


def top5_spec(at: AppTest) -> str:
    """The top-5 chart's plotly JSON (the Grad-CAM section's charts come after it)."""
    return next(c.proto.spec for c in at.get("plotly_chart") if "Top 5 classes" in c.proto.spec)


def all_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.fixture
def empty_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))  # no stray runs from the repository
    return tmp_path


def test_default_photo_digits_layer_preset_and_invalid_size(empty_runs):
    at = activations_page()
    check_clean(at)
    # original, resized, normalised, ranges, mosaic, filters, top-5, Grad-CAM overlay, saliency,
    # the receptive field's map and image
    assert len(at.get("plotly_chart")) == 11
    assert feature_text(at).startswith("**conv1** has 96 maps of 55 x 55")
    assert "Random weights" in " ".join(w.value for w in at.warning)
    assert "one random filter" in feature_text(at) and "learned" not in feature_text(at)
    assert not any("Drawn in grey" in c.value for c in at.caption)  # a colour photo: colour filters

    at.radio(key="act_source").set_value("Digit").run()
    check_clean(at)
    assert "grey value is copied into all three channels" in all_text(at)
    at.selectbox(key="act_digit").set_value(7).run()
    check_clean(at)

    # the layer box lists every spatial layer by name (conv1, relu1, ...)
    box = at.selectbox(key="act_layer")
    names = list(box.options)
    assert names[:4] == ["conv1", "relu1", "norm1", "pool1"]
    box.select_index(names.index("pool2")).run()
    check_clean(at)
    assert feature_text(at).startswith("**pool2** has 256 maps of 13 x 13")

    at.radio(key="act_order").set_value("most active").run()
    at.selectbox(key="act_count").set_value("all").run()
    check_clean(at)
    assert "showing 256" in feature_text(at)

    at.selectbox(key="preset").set_value("cifar").run()
    check_clean(at)
    assert at.number_input(key="edit_input_size").value == 32
    # the cifar network has a pool2 too (the same module, features.1.pool): the choice is kept, and "all" shows 64
    assert feature_text(at).startswith("**pool2** has 64 maps of 7 x 7") and "showing 64" in feature_text(at)

    at.number_input(key="edit_input_size").set_value(8).run()
    assert not at.exception
    assert at.error, "an 8-pixel input cannot go through the cifar network"
    assert not at.get("plotly_chart")  # the page stopped before drawing


@pytest.fixture(scope="module")
def trained_run(digits_run: Path) -> tuple[Path, str]:
    """The suite's trained run (conftest's cifar network on the digits), this module's copy."""
    (info,) = runs.list_runs(digits_run.parent)
    assert info.has_checkpoint and info.dataset == "digits"
    return digits_run.parent, info.run_id


def test_trained_run_is_a_weights_option(trained_run, monkeypatch):
    directory, run_id = trained_run
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(directory))
    at = activations_page()
    check_clean(at)
    box = at.selectbox(key="act_weights")
    assert f"Trained run {run_id}" in box.options
    assert "ImageNet (torchvision)" in box.options[1]

    box.set_value(f"run:{run_id}").run()  # the sidebar still says paper (227 px): the run's network is used
    check_clean(at)
    assert "uses that network, not the one set in the sidebar" in " ".join(c.value for c in at.caption)
    assert feature_text(at).startswith("**conv1**")
    assert "Random weights" not in " ".join(w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 11
    assert "digit " in top5_spec(at)  # the top-5 bars name the digits
    assert "one learned filter" in feature_text(at)
    # the run trained on grey digits: its filters are drawn in grey, even over a colour photo
    assert any(c.value.startswith("Drawn in grey: each filter is the sum of its 3") for c in at.caption)


def test_imagenet_weights_offline_show_a_clear_error(empty_runs, monkeypatch):
    from alexnet.inspect import pretrained

    monkeypatch.setattr(pretrained, "cached_weights_path", lambda: empty_runs / "missing" / "alexnet.pth")
    monkeypatch.setattr(pretrained, "_download", _offline)
    at = activations_page()
    at.selectbox(key="act_weights").set_value("imagenet").run()
    assert not at.exception
    assert "not on this machine yet" in " ".join(i.value for i in at.info)
    at.button(key="act_download").click().run()
    assert not at.exception
    assert any("offline" in e.value for e in at.error), [e.value for e in at.error]


def _offline(progress) -> None:
    from alexnet.errors import AlexNetError

    raise AlexNetError("the ImageNet weights could not be downloaded; this machine seems to be offline.")


def test_cached_imagenet_weights_name_imagenet_classes(empty_runs, monkeypatch):
    """A stand-in for the cached file: torchvision's own AlexNet state dict (its key names and
    shapes, seeded random values), so the real loading path runs without a download."""
    import re

    import torch
    import torchvision

    from alexnet.inspect import pretrained

    torch.manual_seed(0)
    path = empty_runs / "alexnet-owt.pth"
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), path)
    monkeypatch.setattr(pretrained, "cached_weights_path", lambda: path)

    at = activations_page()
    at.selectbox(key="act_weights").set_value("imagenet").run()
    check_clean(at)
    assert "act_download" not in [b.key for b in at.button]  # cached: no download button
    assert "224 x 224 input" in " ".join(c.value for c in at.caption)  # the sidebar says paper, 227
    assert feature_text(at).startswith("**conv1** has 64 maps of 55 x 55")
    spec = top5_spec(at)
    shown = re.findall(r"([^\"]+) \(#(\d+)\)", spec)
    assert len(shown) >= 5
    assert all(pretrained.CATEGORIES[int(index)] == name for name, index in shown)


def test_random_weights_on_a_digit_say_what_is_chance_and_what_is_wrong(empty_runs):
    """The cifar network (10 outputs) with random weights of seed 0 calls every digit "class 7": the digit 0 is
    marked wrong with its true class, the heat on its box is shown beside the box's share, the filters are grey."""
    import numpy as np
    import torch

    from alexnet.inspect import gradcam, images
    from alexnet.network.config import PRESETS
    from alexnet.network.model import build_model
    from alexnet.plots import prediction

    config = PRESETS["cifar"]
    model = build_model(config, seed=0, device=images.default_device()).eval()
    digit = images.digit_sample(0, 0)
    prepared = images.preprocess(digit, config)
    with torch.no_grad():
        logits = model(prepared.batch.to(images.default_device()))[0].cpu().numpy()
    assert int(logits.argmax()) == 7  # the case this test is about: wrong, and known to be wrong
    expected = gradcam.explain(model, prepared.batch)
    heat, chance = gradcam.heat_against_chance(expected.heatmap, gradcam.ink_box(digit, config.input_size))

    at = activations_page()
    at.selectbox(key="preset").set_value("cifar").run()
    at.radio(key="act_source").set_value("Digit").run()
    at.selectbox(key="act_digit").set_value(0).run()
    check_clean(at)
    text = all_text(at)
    wrong = prediction.verdict(logits, 0).sentence
    assert wrong.startswith("**Wrong**: the top answer, class 7 (") and "the true class, class 0 (" in wrong
    assert wrong in text  # under the top-5 chart, with the probabilities the page computed
    bars = json.loads(top5_spec(at))["data"][0]
    order = [int(i) for i in np.argsort(-logits, kind="stable")[:5]]
    order += [] if 0 in order else [0]  # the true class is drawn, wherever it ranks
    marks = {7: " ✗ wrong", 0: " ✓ true"}
    assert bars["y"] == [f"class {i}{marks.get(i, '')}" for i in order]
    assert "**The top prediction, class 7, is wrong**: the true class is class 0. This map explains the wrong" in text
    assert f"Heat on the digit's box: **{heat:.0%}**, against **{chance:.0%}** by chance" in text
    assert 0.5 < chance < 1  # the digit's box covers most of the image: a high share alone proves nothing
    assert any(c.value.startswith("Drawn in grey: each filter is the sum of its 3") for c in at.caption)
    assert "$\\alpha_k = " in " ".join(c.value for c in at.caption)  # the formula as LaTeX

    at.selectbox(key="act_digit").set_value(7).run()  # "class 7" is right for a 7: nothing marked wrong
    check_clean(at)
    assert "**Wrong**" not in all_text(at) and "is wrong" not in all_text(at)
    assert json.loads(top5_spec(at))["data"][0]["y"][0] == "class 7 ✓ true"
