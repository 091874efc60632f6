"""The Architecture page in Streamlit's AppTest: edits, errors, presets, import, links, and the
page drawn before PyTorch is loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from app_support import layer_table, mounted_charts
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from alexnet.inspect.probe import analyze_and_probe
from alexnet.inspect.tables import AGREE, FAILS, PENDING_CHECK
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.link import decode, encode
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze
from alexnet.units import shape_text

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120).run()  # the Architecture page is the default
    assert not app.exception
    return app


def assert_table_matches(at: AppTest, config: AlexNetConfig) -> None:
    (table, _), report = layer_table(at), analyze(config)
    assert list(table["Layer"][: len(report.layers)]) == [layer.name for layer in report.layers]
    assert list(table["Output"][: len(report.layers)]) == [shape_text(x.out_shape) for x in report.layers]
    if report.ok:  # every shape also came out of a real forward pass, and agreed: ✓ on every row
        probed = analyze_and_probe(config)[1]
        assert [shape_text(probed[layer.module]) for layer in report.layers] == list(table["Output"])
        assert set(table["Agree"]) == {AGREE}
        assert "PyTorch" not in table.columns  # PyTorch's own column shows only where it differs
    # the caption above the table sums the check column up; nothing says "checking" any more
    captions = [caption.value for caption in at.caption]
    assert any(text.startswith("PyTorch") for text in captions), captions
    assert not any("Checking with PyTorch" in text for text in captions)


def test_editing_a_block_updates_the_table_and_the_diff(at):
    at.slider(key="edit_block1_kernel_size").set_value(7).run()
    at.radio(key="arch_block").set_value(2).run()  # the block picker shows block 2's sliders
    at.slider(key="edit_block2_stride").set_value(2).run()
    assert not at.exception and not at.error
    expected = PRESETS["paper"].with_block(0, kernel_size=7).with_block(1, stride=2)
    assert_table_matches(at, expected)
    table, shaded = layer_table(at)  # paper → yours on every layer whose map changed, and shaded
    names = list(table["Layer"])
    conv1, pool1, conv2 = (names.index(name) for name in ("conv1", "pool1", "conv2"))
    assert (table["Was (paper)"][conv1], table["Output"][conv1], conv1 in shaded) == ("96×55×55", "96×56×56", True)
    # floor((56 - 3) / 2) + 1: back to the paper's 27
    assert (table["Was (paper)"][pool1], pool1 in shaded) == ("", False)
    assert (table["Was (paper)"][conv2], table["Output"][conv2], conv2 in shaded) == ("256×27×27", "256×14×14", True)
    assert shaded == {row for row, was in enumerate(table["Was (paper)"]) if was}
    legend = next(caption.value for caption in at.caption if caption.value.startswith("**Agree**"))
    assert all(f"**{column}**" in legend for column in ("Output", "Was (paper)", "Dropped", "Formula")), legend
    settings = next(frame.value for frame in at.dataframe if "setting" in frame.value.columns)
    assert list(settings["setting"]) == ["block 1 kernel size", "block 2 stride"]
    assert list(settings["yours"]) == ["7", "2"]
    drawing = mounted_charts(at)["network_drawing"]["figure"]  # the drawing is still there, of this network
    hovers = [str(text) for trace in drawing["data"] for text in trace.get("hovertext", [])]
    assert any(text.startswith("<b>conv1") and "96×56×56" in text for text in hovers), hovers
    assert decode(at.query_params) == ("paper", expected)  # the page's link rebuilds this network


def test_an_invalid_config_explains_itself_and_keeps_the_layers_that_work(at):
    at.sidebar.slider(key="edit_input_size").set_value(8).run()
    assert not at.exception
    config = replace(PRESETS["paper"], input_size=8)
    report = analyze(config)
    assert len(at.error) == 1
    assert at.error[0].value == report.error.message and "Fix:" in at.error[0].value
    table, _ = layer_table(at)
    assert len(table) == len(report.layers) + 1 and table["Agree"].iloc[-1] == FAILS
    assert_table_matches(at, config)
    assert at.download_button(key="download_py").proto.disabled  # nothing runnable to export


def test_switching_presets_moves_the_widgets_and_the_table(at):
    at.slider(key="edit_block1_kernel_size").set_value(5).run()
    at.sidebar.selectbox(key="preset").set_value("cifar").run()
    assert not at.exception
    cifar = PRESETS["cifar"]
    assert at.sidebar.slider(key="edit_input_size").value == cifar.input_size
    assert at.slider(key="edit_block1_kernel_size").value == cifar.blocks[0].kernel_size
    assert at.number_input(key="edit_num_blocks").value == len(cifar.blocks)
    assert_table_matches(at, cifar)
    assert any("cifar" in info.value for info in at.info)  # the diff says: unchanged preset


def test_importing_a_file_replaces_the_config_and_a_broken_one_keeps_it(at):
    config = PRESETS["cifar"].with_block(2, kernel_size=5, padding=2)
    at.file_uploader(key="import_file").set_value(("mine.json", config.to_json().encode(), "application/json")).run()
    assert not at.exception and at.success
    at.radio(key="arch_block").set_value(3).run()
    assert at.slider(key="edit_block3_kernel_size").value == 5
    assert_table_matches(at, config)

    at.file_uploader(key="import_file").set_value(("broken.json", b"{not json", "application/json")).run()
    assert not at.exception
    assert any("broken.json" in e.value and "unchanged" in e.value for e in at.error)
    assert at.slider(key="edit_block3_kernel_size").value == 5
    assert_table_matches(at, config)


def test_a_link_loads_its_config_and_a_hostile_link_is_ignored():
    config = PRESETS["cifar"].with_block(0, kernel_size=5, padding=2)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in encode(config, "cifar").items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.slider(key="edit_block1_kernel_size").value == 5
    assert at.sidebar.selectbox(key="preset").value == "cifar"
    assert_table_matches(at, config)

    hostile = AppTest.from_file(APP, default_timeout=120)
    hostile.query_params["preset"] = "paper"
    hostile.query_params["changes"] = '{"blocks":[{"kernel_size":1e999}], "input_size": -1}'
    hostile.run()
    assert not hostile.exception and not hostile.error
    assert_table_matches(hostile, PRESETS["paper"])


def test_classifier_controls_change_the_classifier(at):
    at.toggle(key="edit_adaptive_pool").set_value(True).run()
    at.slider(key="edit_adaptive_pool_size").set_value(3).run()
    at.number_input(key="edit_num_hidden").set_value(1).run()
    at.number_input(key="edit_hidden1_size").set_value(512).run()
    at.slider(key="edit_dropout").set_value(0.25).run()
    assert not at.exception and not at.error
    expected = replace(PRESETS["paper"], adaptive_pool=3, hidden_sizes=(512,), dropout=0.25)
    assert_table_matches(at, expected)
    assert decode(at.query_params) == ("paper", expected)


def test_choosing_tanh_renames_the_activations_and_changes_no_number(at):
    at.segmented_control(key="edit_activation").set_value("tanh").run()
    assert not at.exception and not at.error
    expected = replace(PRESETS["paper"], activation="tanh")
    assert at.session_state["config"] == expected
    assert_table_matches(at, expected)  # tanh1 ... tanh7, each checked by a real forward pass
    table, shaded = layer_table(at)
    names = list(table["Layer"])
    assert "tanh1" in names and "tanh7" in names and not any(name.startswith("relu") for name in names)
    assert not shaded and "Was (paper)" not in table.columns  # no output shape differs from the paper's
    settings = next(frame.value for frame in at.dataframe if "setting" in frame.value.columns)
    assert list(settings["setting"]) == ["activation"] and list(settings["yours"]) == ["tanh"]
    assert decode(at.query_params) == ("paper", expected)  # the page's link carries it

    at.sidebar.selectbox(key="preset").set_value("cifar").run()  # a preset brings its own ReLU back
    assert at.segmented_control(key="edit_activation").value == "relu"
    assert_table_matches(at, PRESETS["cifar"])


def test_a_tanh_link_opens_with_tanh_picked():
    config = replace(PRESETS["cifar"], activation="tanh")
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in encode(config, "cifar").items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.segmented_control(key="edit_activation").value == "tanh"
    assert_table_matches(at, config)


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """Every file the app hands to a download button, by the file id in the button's URL."""
    files: dict[str, bytes] = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = store(self, path_or_data, mimetype, kind, filename)
        files[file_id] = path_or_data if isinstance(path_or_data, bytes) else path_or_data.encode()
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def downloaded(at: AppTest, key: str, files: dict[str, bytes]) -> bytes:
    url = at.download_button(key=key).proto.url  # "/mock/media/<file id>.json"
    return files[url.rsplit("/", 1)[-1].split(".")[0]]


def test_the_downloaded_files_rebuild_the_network_and_reimport(downloads):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.slider(key="edit_block1_kernel_size").set_value(7).run()
    at.radio(key="arch_block").set_value(2).run()  # the block picker shows block 2's sliders
    at.slider(key="edit_block2_stride").set_value(2).run()
    assert not at.exception
    edited = PRESETS["paper"].with_block(0, kernel_size=7).with_block(1, stride=2)
    data = downloaded(at, "download_json", downloads)
    assert AlexNetConfig.from_json(data) == edited

    namespace: dict = {"__name__": "exported"}  # the .py button's file is the same network
    exec(compile(downloaded(at, "download_py", downloads), "alexnet_model.py", "exec"), namespace)
    with torch.device("meta"):
        exported = namespace["build"]()
    ours = build_model(edited, device="meta")
    assert parameter_count(exported) == parameter_count(ours)
    assert {k: v.shape for k, v in exported.state_dict().items()} == {k: v.shape for k, v in ours.state_dict().items()}

    at.sidebar.selectbox(key="preset").set_value("cifar").run()  # somewhere else entirely...
    assert at.slider(key="edit_block2_stride").value == 1  # block 2 is still the picked one
    at.radio(key="arch_block").set_value(1).run()
    assert at.slider(key="edit_block1_kernel_size").value == 3
    at.file_uploader(key="import_file").set_value(("alexnet_config.json", data, "application/json")).run()
    assert not at.exception and at.success  # ...and back, from the downloaded file
    assert at.slider(key="edit_block1_kernel_size").value == 7
    at.radio(key="arch_block").set_value(2).run()
    assert at.slider(key="edit_block2_stride").value == 2
    assert_table_matches(at, edited)


def test_the_pytorch_file_is_drawn_only_when_its_panel_is_open(at):
    """The highlighted source costs the browser time on every load: it appears when the panel opens."""
    from alexnet.network.export import to_pytorch_source

    assert not [code for code in at.code if "nn.Module" in code.value]
    at.session_state["read_py_source"] = True  # what a click on the panel's title sets
    at.run()
    (code,) = [code for code in at.code if "nn.Module" in code.value]
    assert code.value == to_pytorch_source(PRESETS["paper"]).rstrip("\n") and code.language == "python"


# In a fresh process whose warm-up never runs: the page must draw without importing torch.
WITHOUT_TORCH = f"""
import json, sys
from streamlit.testing.v1 import AppTest
from pages.parts.common import warmup
from tests.app_support import mounted_charts
warmup.start_warm_up = lambda *args, **kwargs: None  # nothing loads PyTorch behind the page's back
at = AppTest.from_file({APP!r}, default_timeout=120).run()
assert not at.exception, [e.value for e in at.exception]
table = next(frame.value for frame in at.table if "Formula" in frame.value.columns)
first = dict(
    torch="torch" in sys.modules,
    captions=[caption.value for caption in at.caption],
    metrics=[metric.label for metric in at.metric],
    charts=sorted(mounted_charts(at)),
    analytic=list(table["Output"]),
    checks=sorted(set(table["Agree"])),
)
warmup.load_torch()  # what the warm-up thread does; the page's fragment then finds it done
at.run()
assert not at.exception, [e.value for e in at.exception]
table = next(frame.value for frame in at.table if "Formula" in frame.value.columns)
then = dict(
    captions=[caption.value for caption in at.caption], checks=sorted(set(table["Agree"])), columns=list(table.columns)
)
print(json.dumps(dict(first=first, then=then)))
"""


def test_the_page_draws_everything_analytic_before_torch_and_fills_in_after():
    """No torch in the process: every analytic element is drawn and the PyTorch column says it is
    checking; once PyTorch is loaded, the same table shows the real shapes."""
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    first, then = result["first"], result["then"]
    paper = analyze(PRESETS["paper"])
    assert first["torch"] is False, "the Architecture page imported torch before it drew"
    assert first["analytic"] == [shape_text(layer.out_shape) for layer in paper.layers]
    assert first["checks"] == [PENDING_CHECK]  # every row: PyTorch is still loading
    assert any("Checking with PyTorch…" in caption for caption in first["captions"])
    assert {"Input", "Parameters", "Mult-adds"} <= set(first["metrics"])
    assert first["charts"] == ["arith_figure", "network_drawing", "whatif_chart"]
    assert then["checks"] == [AGREE] and "PyTorch" not in then["columns"]  # every row checked, and agreed
    assert f"agrees with the formula on all {len(paper.layers)} layers." in " ".join(then["captions"])
    assert not any("Checking with PyTorch" in caption for caption in then["captions"])


def test_the_block_summary_says_which_map_is_after_the_pool():
    """The arithmetic figure and the layer table give conv2's map (21×21 at K = 7, P = 0); the summary
    gave the pool's (10×10) without saying so."""
    from pages.parts.architecture.block_editor import block_summary

    config = PRESETS["paper"].with_block(1, kernel_size=7, padding=0)
    lines = block_summary(config, analyze(config), picked=2).splitlines()
    conv2, conv3 = lines[3], lines[4]
    assert conv2.endswith("| 256×21×21 →\u00a0pool\u00a010×10 |")
    assert conv3.endswith("| 384×10×10 |")  # no pool: the one map


def test_the_arithmetic_and_whatif_pickers_redraw_their_views():
    """Each picker redraws its own figure from the cached ones, and the page keeps everything else."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    drawn_before = mounted_charts(at)
    at.selectbox(key="arch_arith_layer").set_value("pool1").run()
    assert not at.exception
    title = mounted_charts(at)["arith_figure"]["figure"]["layout"]["title"]["text"]
    assert "(55 − 3 + 2·0) / 2" in title  # pool1: 3x3/2 over conv1's 55
    at.selectbox(key="arch_whatif").set_value("kernel_size").run()
    drawn = mounted_charts(at)
    assert not at.exception and drawn.keys() == drawn_before.keys()
    assert drawn["whatif_chart"] != drawn_before["whatif_chart"]  # the kernel size's sweep, not the stride's


def test_an_error_offers_each_fix_as_a_button_and_the_views_follow_it(at):
    """Issue 32, item 2: conv5's kernel set to 15 on the small network (tests/test_fixes.py works out its fixes)."""
    at.sidebar.selectbox(key="preset").set_value("cifar").run()
    at.radio(key="arch_block").set_value(5).run()
    at.slider(key="edit_block5_kernel_size").set_value(15).run()
    assert not at.exception and len(at.error) == 1 and at.error[0].value.startswith("conv5:")
    labels = [b.label for b in at.button if b.key and b.key.startswith("remedy_")]
    assert labels == ["Use a conv5 kernel of 7", "Use conv5 padding of 5", "Use an input of 63x63 pixels"]
    # the sidebar agrees with the error, and the arithmetic shows the failing layer with its numbers
    assert any("inputs of 63 px or more work" in c.value for c in at.sidebar.caption)
    assert at.selectbox(key="arch_arith_layer").value == "conv5"
    assert any(c.value == "floor((7 - 15 + 2*1) / 1) + 1 = -5" for c in at.code)
    # the learner may look at another layer: the view does not jump back while the error stays
    at.selectbox(key="arch_arith_layer").set_value("conv1").run()
    assert at.selectbox(key="arch_arith_layer").value == "conv1"

    at.button(key="remedy_4_padding").click().run()
    assert not at.error and at.slider(key="edit_block5_padding").value == 5
    assert_table_matches(at, PRESETS["cifar"].with_block(4, kernel_size=15, padding=5))

    at.slider(key="edit_block5_padding").set_value(1).run()
    at.button(key="remedy_None_input_size").click().run()
    assert not at.error and at.sidebar.slider(key="edit_input_size").value == 63
    assert at.sidebar.number_input(key="edit_input_size_typed").value == 63


def test_a_size_typed_beside_the_slider_moves_the_slider_and_the_network(at):
    at.sidebar.number_input(key="edit_input_size_typed").set_value(240).run()
    assert at.sidebar.slider(key="edit_input_size").value == 240
    assert_table_matches(at, replace(PRESETS["paper"], input_size=240))
    at.sidebar.slider(key="edit_input_size").set_value(230).run()
    assert at.sidebar.number_input(key="edit_input_size_typed").value == 230


def test_try_next_links_every_page_it_names(at):
    (line,) = [c.value for c in at.caption if c.value.startswith("**Try next:**")]
    links = {link.proto.label: link.proto.page for link in at.get("page_link")}
    for page in ("Summary", "Activations"):
        assert f"on {page}" in line and page in links, (line, links)
