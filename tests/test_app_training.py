"""The Training page in Streamlit's AppTest: start a real run, watch it appear, stop it."""

from __future__ import annotations

import base64
import json
import statistics
import time
from dataclasses import replace

import numpy as np
import pytest
from app_support import open_page, rerun_until, stand_in_timing
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.cli.train import build_parser, network_and_settings
from alexnet.network.config import PRESETS
from alexnet.plots.raster import GAP_RGB
from alexnet.training.run import train_run
from alexnet.training.run_folder import results
from alexnet.training.settings import OPTIMIZERS, TrainSettings
from pages.parts.common import epoch_estimate
from pages.parts.training import training_controls, training_results_view


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    epoch_estimate._speeds().clear()  # the server's kept timings: other tests of this process filled them
    yield tmp_path
    epoch_estimate._speeds().clear()  # and a test's stand-in timing must not outlive it
    for info in runs.list_runs(tmp_path):  # never leave a trainer behind
        runs.stop_run(info.path)


def training_page() -> AppTest:
    return open_page("pages/training.py")


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def test_start_watch_and_stop_a_run(runs_dir, timing_by_size):
    at = training_page()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)
    assert any("paper" not in w.value and "cifar" in w.value for w in at.warning)  # the paper net is slow here
    at.selectbox(key="preset").set_value("cifar").run()  # as a user would: the sidebar's preset ...
    at.number_input(key="edit_input_size").set_value(16).run()  # ... at 16x16, for fast steps
    assert at.session_state["config"] == replace(PRESETS["cifar"], input_size=16)
    at.number_input(key="train_epochs").set_value(50)
    at.button(key="train_start").click().run()
    assert not at.error, [e.value for e in at.error]
    (info,) = runs.list_runs(runs_dir)
    assert info.state == "running"
    assert any("running" in b for b in badges(at))

    # the loss curve is drawn (the results section may already show conv1's initial filters)
    rerun_until(at, lambda at: any("train_loss_chart" in c.proto.id for c in at.get("plotly_chart")))
    assert any(p.label == "Loss (last step)" and p.value != "-" for p in at.metric)

    at.button(key="train_start").click().run()  # a second start waits in the queue while one is going
    assert not at.error, [e.value for e in at.error]
    (queued,) = runs.queued_runs(runs_dir)
    assert any(i.value.startswith("Queued: 1st in line; it starts when the run before it ends") for i in at.info)
    assert any(h.value == "Queue" for h in at.subheader)
    assert any(f"**1st** · `{queued.run_id}`" in m.value for m in at.markdown)
    at.button(key=f"train_cancel_{queued.run_id}").click().run()  # Cancel takes it out, folder and all
    assert runs.queued_runs(runs_dir) == [] and not queued.path.exists()
    assert not any(h.value == "Queue" for h in at.subheader) and not at.exception
    at.selectbox(key="train_watch").set_value(info.run_id).run()  # back to the running one

    at.button(key="train_stop").click().run()
    rerun_until(at, lambda at: any("stopped" in b for b in badges(at)))
    stopped = runs.get_run(info.path)
    assert stopped.state == "stopped" and stopped.has_checkpoint
    assert at.button(key="train_resume").label == "Resume"

    at.button(key="train_resume").click().run()  # Stop and Resume act in on_click callbacks
    rerun_until(at, lambda at: any("running" in b for b in badges(at)))
    assert runs.get_run(info.path).state == "running" and not at.error
    at.button(key="train_stop").click().run()
    rerun_until(at, lambda at: any("stopped" in b for b in badges(at)))
    assert runs.get_run(info.path).state == "stopped"


def test_switching_optimizer_brings_its_defaults(runs_dir, timing_by_size):
    at = training_page()
    at.selectbox(key="train_optimizer").set_value("sgd").run()
    assert at.number_input(key="train_lr").value == pytest.approx(0.01)
    assert at.number_input(key="train_momentum").value == pytest.approx(0.9)
    assert not at.number_input(key="train_momentum").disabled
    at.button(key="train_use_fast").click().run()  # the warning's button switches to the cifar preset
    assert at.session_state["config"] == PRESETS["cifar"]
    assert at.number_input(key="edit_input_size").value == 32  # the sidebar shows it too
    assert not any("cifar" in w.value for w in at.warning)


@pytest.fixture
def quick_timing(monkeypatch):
    """A fixed timing, 1 ms an image: these tests are about the boxes, not the clock."""
    stand_in_timing(monkeypatch, lambda config: 0.001)


def test_the_pages_defaults_are_the_command_lines_for_every_preset_and_optimizer(runs_dir, quick_timing):
    at = training_page()
    for name in PRESETS:
        at.selectbox(key="preset").set_value(name).run()
        for optimizer in OPTIMIZERS:
            at.selectbox(key="train_optimizer").set_value(optimizer).run()
            assert not at.exception
            _, cli = network_and_settings(build_parser().parse_args(["--preset", name, "--optimizer", optimizer]))
            shown = {key: at.number_input(key=key).value for key in training_controls.DEFAULTED}
            assert shown == {key: getattr(cli, field) for key, field in training_controls.DEFAULTED.items()}, (
                name,
                optimizer,
            )
            assert not any("Your value" in c.value for c in at.caption)


def test_a_typed_value_is_kept_through_a_network_change_and_said_to_differ(runs_dir, quick_timing):
    at = training_page()
    at.selectbox(key="preset").set_value("cifar").run()
    assert at.number_input(key="train_lr").value == pytest.approx(2e-3)  # AdamW's rate for a small network
    at.number_input(key="train_lr").set_value(5e-4).run()
    at.selectbox(key="preset").set_value("paper").run()
    assert at.number_input(key="train_lr").value == pytest.approx(5e-4)  # the learner's own, kept
    assert any("Your value" in c.value and "0.0003" in c.value for c in at.caption)
    at.selectbox(key="train_optimizer").set_value("sgd").run()
    assert at.number_input(key="train_lr").value == pytest.approx(5e-4)
    assert at.number_input(key="train_momentum").value == pytest.approx(0.9)  # untouched: follows sgd's default
    at.switch_page("pages/architecture.py").run()
    at.switch_page("pages/training.py").run()  # Streamlit forgets a page's widgets while another is shown
    assert at.number_input(key="train_lr").value == pytest.approx(5e-4)
    assert at.selectbox(key="train_optimizer").value == "sgd"


def test_the_epoch_estimate_comes_from_a_runs_own_speed_once_there_is_one(runs_dir, quick_timing):
    at = training_page()
    at.selectbox(key="preset").set_value("cifar").run()
    assert any("timed on this machine" in c.value for c in at.caption)
    _, path = train_run(PRESETS["cifar"], TrainSettings(epochs=1, max_steps=3), runs_dir=runs_dir, progress=False)
    logged = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    speed = statistics.median(r["images_per_sec"] for r in logged if r["kind"] == "step")  # its 3 steps' median
    at.run()
    (line,) = [c.value for c in at.caption if "One epoch of the digits" in c.value]
    assert f"{speed:,.0f} images/s, as run {path.name} trained it" in line
    at.number_input(key="train_batch_size").set_value(64).run()  # another batch size: that run says nothing
    assert any("One epoch" in c.value and "timed on this machine" in c.value for c in at.caption)


def test_a_timing_taken_during_the_warm_up_is_said_to_be_provisional_and_taken_again(
    runs_dir, quick_timing, monkeypatch
):
    from pages.parts.common import warmup

    monkeypatch.setattr(warmup, "warming_up", lambda: True)
    epoch_estimate._speeds().clear()  # the server's kept timings: other tests of this process filled them
    at = training_page()
    (line,) = [c.value for c in [*at.caption, *at.warning] if "One epoch of the digits" in c.value]
    assert "while the server was still starting up" in line
    monkeypatch.setattr(warmup, "warming_up", lambda: False)
    at.run()  # timed again, now kept
    (line,) = [c.value for c in [*at.caption, *at.warning] if "One epoch of the digits" in c.value]
    assert "timed on this machine" in line and "starting up" not in line


def chart(at: AppTest, key: str) -> dict:
    """The plotly figure a chart element holds, as a dict (its data, layout and frames)."""
    (element,) = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    return json.loads(element.proto.spec)


def array(value) -> np.ndarray:
    """A plotly array from a figure's JSON: a list, or plotly's typed array {"dtype", "bdata" (base64), "shape"}."""
    if isinstance(value, dict):
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return data.reshape([int(n) for n in str(value.get("shape", len(data))).split(",")])
    return np.array(value)


@pytest.mark.slow
def test_results_of_a_finished_run(runs_dir):
    settings = TrainSettings(epochs=2, checkpoint_every=10**6)
    state, path = train_run(replace(PRESETS["cifar"], input_size=16), settings, runs_dir=runs_dir, progress=False)
    assert state == "finished"
    predictions = results.latest_predictions(path)
    history = results.filter_history(path)

    at = training_page()
    assert not at.exception, at.exception
    assert any("What the network learned" in s.value for s in at.subheader)
    confusion = chart(at, "results_confusion")["data"][0]
    assert confusion["x"] == [str(d) for d in range(10)]  # the digits' class names on both axes
    # the matrix drawn is the run's own: counts per (true, predicted) pair, one per validation image
    np.testing.assert_array_equal(array(confusion["z"]), results.confusion_matrix(predictions, 10))
    assert array(confusion["z"]).sum() == len(predictions.label) == len(results.validation_set(path))
    accuracy = chart(at, "results_accuracy")["data"][0]
    matrix = results.confusion_matrix(predictions, 10)
    np.testing.assert_allclose(array(accuracy["y"]).astype(float), 100 * np.diag(matrix) / matrix.sum(axis=1))
    wrong = chart(at, "results_wrong")
    reading_order = sorted(wrong["layout"]["annotations"], key=lambda a: (-round(a["y"], 3), a["x"]))
    shown = results.confidently_wrong(predictions, 12)  # the page's grid: most confident first
    assert [a["text"] for a in reading_order] == [
        f"true {predictions.label[i]}, said {predictions.predicted[i]} ({predictions.confidence[i]:.0%})" for i in shown
    ]
    wrong_count = int((predictions.label != predictions.predicted).sum())
    heading = training_results_view.wrong_heading(predictions.confidence[shown], wrong_count)
    assert heading in [m.value for m in at.markdown]
    low, high = predictions.confidence[shown].min(), predictions.confidence[shown].max()
    assert f"{low:.0%}-{high:.0%}" in heading or f"({high:.0%})" in heading  # the confidence they were given
    filters = chart(at, "results_filters")
    # a run on the grey digits: conv1's filters drawn in grey (R = G = B), the sum over their input channels
    frame = png_pixels(filters["frames"][-1]["data"][0]["source"])
    tiles = frame[(frame != GAP_RGB).any(axis=-1)]  # (pixels, 3), the light blue-grey between tiles left out
    assert len(tiles) >= 32 * 9  # every filter's 3 x 3 tile (enlarged)
    assert (tiles[:, 0] == tiles[:, 1]).all() and (tiles[:, 1] == tiles[:, 2]).all()
    assert any(c.value.startswith("This run saw only grey images. Drawn in grey") for c in at.caption)
    moved = results.filter_change(history.weights, grey=True)
    assert f"since initialisation they moved by {moved:.0%} of their size" in " ".join(m.value for m in at.markdown)
    assert [f["name"] for f in filters["frames"]] == ["0", "1", "2"]  # initialisation, then each epoch
    assert len(history.epochs) == 3
    assert [s["label"] for s in filters["layout"]["sliders"][0]["steps"]] == ["0", "1", "2"]
    assert filters["layout"]["sliders"][0]["active"] == 2  # it opens on the last epoch
    assert filters["frames"][0]["data"][0]["source"] != filters["frames"][-1]["data"][0]["source"]  # they changed


def png_pixels(source: str) -> np.ndarray:
    """The pixels of a ``data:image/png;base64,...`` image source, as an array."""
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGB"))


def test_wrong_answers_are_headed_with_the_confidence_they_were_given():
    heading = training_results_view.wrong_heading
    assert heading(np.array([0.28, 0.25, 0.24]), 40) == (
        "**The 3 of 40 wrong answers given with the highest confidence** (24%-28%): "
        "the network was unsure even of these."
    )
    assert heading(np.array([0.97, 0.61]), 2) == "**All 2 wrong answers**, most confident first (61%-97%)."
    assert (
        heading(np.array([0.404]), 1)
        == "**The one wrong answer**, given with 40% confidence: the network was unsure even of these."
    )


def test_how_far_the_filters_moved_is_measured_on_what_is_drawn():
    start = np.zeros((1, 2, 3, 3, 3))  # (1, O, I, K, K)
    start[0, :, 0] = [[1.0, 0, 0], [0, 0, 0], [0, 0, 0]]  # R and B hold one 1 each (the sum: 2 at one place)
    start[0, :, 2] = [[1.0, 0, 0], [0, 0, 0], [0, 0, 0]]
    moved = start.copy()
    moved[0, :, 1, 0, 0] = 1.0  # G catches up: the sum goes from 2 to 3; the channels from (1, 0, 1) to (1, 1, 1)
    weights = np.stack([start[0], moved[0]])  # (T=2, O=2, I=3, K=3, K=3)
    assert results.filter_change(weights, grey=True) == pytest.approx(1 / 2)  # sqrt(2 * 1) / sqrt(2 * 4)
    assert results.filter_change(weights) == pytest.approx(np.sqrt(2) / 2)  # sqrt(2 * 1) / sqrt(2 * 2)
    assert results.filter_change(weights[:1]) == 0.0


@pytest.mark.parametrize("native", [True, False], ids=["bf16-native", "bf16-emulated"])
def test_the_page_says_what_auto_precision_runs_on_this_cpu(runs_dir, monkeypatch, native):
    from alexnet.training import precision

    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: native)
    monkeypatch.setattr(precision.torch.cuda, "is_available", lambda: False)
    at = training_page()
    assert not at.exception
    captions = [c.value for c in at.caption]
    expected = "auto runs bf16 here" if native else "auto runs fp32 here: this CPU has no bf16 instructions"
    assert any(c.startswith(expected) for c in captions), captions
    at.selectbox(key="train_precision").set_value("fp32").run()
    assert not any(c.value.startswith("auto runs") for c in at.caption)  # only said while auto is picked


def test_the_papers_recipe_fills_the_boxes_and_the_run_records_it(runs_dir, quick_timing):
    at = training_page()
    at.selectbox(key="preset").set_value("cifar").run()
    at.number_input(key="edit_input_size").set_value(16).run()
    at.radio(key="train_recipe").set_value("paper").run()
    assert not at.exception
    assert at.number_input(key="train_lr").value == pytest.approx(0.01)
    assert at.number_input(key="train_batch_size").value == 128
    assert at.number_input(key="train_momentum").value == pytest.approx(0.9)
    assert at.number_input(key="train_weight_decay").value == pytest.approx(5e-4)
    assert at.selectbox(key="train_optimizer").value == "sgd"
    assert not any("Your value" in c.value for c in at.caption)
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_start").click().run()
    assert not at.error, [e.value for e in at.error]
    (info,) = runs.list_runs(runs_dir)
    deadline = time.monotonic() + 60
    while not (info.path / "config.json").is_file():  # the trainer writes it once it starts
        assert time.monotonic() < deadline
        time.sleep(0.2)
    saved = json.loads((info.path / "config.json").read_text())["training"]
    assert (saved["recipe"], saved["schedule"], saved["init"], saved["warmup_steps"]) == (
        "paper",
        "plateau",
        "paper",
        0,
    )
    assert (saved["optimizer"], saved["lr"], saved["batch_size"], saved["epochs"]) == ("sgd", 0.01, 128, 1)
    runs.stop_run(info.path)
    at.radio(key="train_recipe").set_value("default").run()  # back: the untouched boxes follow, the epochs stay
    assert at.selectbox(key="train_optimizer").value == "adamw"
    assert at.number_input(key="train_lr").value == pytest.approx(2e-3)
    assert at.number_input(key="train_batch_size").value == 32
    assert at.number_input(key="train_epochs").value == 1


def test_a_run_at_chance_is_said_not_to_learn_on_the_page(runs_dir, quick_timing):
    _, path = train_run(PRESETS["cifar"], TrainSettings(max_steps=2), runs_dir=runs_dir, progress=False)
    at = training_page()
    assert not any("does not learn" in w.value for w in at.warning)
    stuck = {"kind": "epoch", "step": 2, "epoch": 1.0, "train_loss": 2.30, "val_loss": 2.30, "val_accuracy": 0.1}
    with (path / "metrics.jsonl").open("a") as metrics:  # as if its validation were still at chance
        metrics.write(json.dumps(stuck) + "\n")
    at.run()
    (warning,) = [w.value for w in at.warning if "does not learn" in w.value]
    assert (
        warning.startswith("After 1 epoch (2 steps) the training loss is still 2.30")
        and "Nothing was changed" in warning
    )


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.5, 2.0])
def test_the_stop_button_at_any_delay_after_start_and_resume_ends_stopped(runs_dir, timing_by_size, delay):
    """Start, Stop ``delay`` s later, Resume, Stop again ``delay`` s later: each time the run ends
    "stopped" with its steps kept, never "interrupted", whatever the trainer was doing."""
    at = training_page()
    at.selectbox(key="preset").set_value("cifar").run()
    at.number_input(key="edit_input_size").set_value(16).run()
    at.number_input(key="train_epochs").set_value(50)
    at.button(key="train_start").click().run()
    (info,) = runs.list_runs(runs_dir)
    for press in ("after Start", "after Resume"):
        time.sleep(delay)
        at.button(key="train_stop").click().run()
        assert not at.error, [e.value for e in at.error]
        rerun_until(at, lambda at: runs.get_run(info.path).state != "running", timeout=120)
        at.run()  # the run that saw it end may have drawn the page a moment before the trainer's last write
        ended = runs.get_run(info.path)
        assert ended.state == "stopped", f"{press}: {ended.state}: {ended.message}"
        steps = runs.read_metrics(info.path).column("step")
        assert steps == list(range(1, ended.step + 1))
        assert any("stopped" in b for b in badges(at))
        if not ended.has_checkpoint:
            assert any("Resume starts it from the beginning" in c.value for c in at.caption)
        at.button(key="train_resume").click().run()
        assert not at.error, [e.value for e in at.error]
        if press == "after Start":
            assert runs.get_run(info.path).state == "running"
    runs.stop_run(info.path)
