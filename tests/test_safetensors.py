"""A run's weights as safetensors (``runs.run_safetensors``, the Training page's Weights button),
loaded back by Activations' Weights box: the same tensors as the checkpoint, the network from the
file itself, and every broken or foreign file refused with a message, never an exception."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from app_support import open_page, record_deferred_downloads
from safetensors.torch import save
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.network.safetensors_file import file_metadata, from_safetensors, to_safetensors
from alexnet.training.run_folder import read as run_files

SMALL = PRESETS["cifar"]


@pytest.fixture(scope="module")
def saved(digits_run: Path) -> bytes:
    return runs.run_safetensors(digits_run)


def test_the_file_holds_the_checkpoint_s_weights_and_its_network(digits_run, saved):
    model = from_safetensors(saved)
    checkpoint = run_files.load_checkpoint(digits_run)["model"]
    assert model.config == runs.run_config(digits_run)
    assert model.state_dict().keys() == checkpoint.keys()
    for name, tensor in checkpoint.items():
        assert torch.equal(model.state_dict()[name], tensor.float()), name
    metadata = file_metadata(saved)
    assert metadata["dataset"] == "digits" and metadata["weights"] == f"run {digits_run.name}'s last checkpoint"
    assert json.loads(metadata["classes"]) == runs.run_classes(digits_run)
    # the header is the format's own: 8 bytes of length, then JSON naming every tensor
    (length,) = struct.unpack("<Q", saved[:8])
    assert set(json.loads(saved[8 : 8 + length])) == {"__metadata__", *checkpoint}


def _with_header(header: dict, body: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def _other_network(saved: bytes) -> bytes:
    """The file's tensors under a network they do not fit (conv1 with 5x5 kernels)."""
    model = from_safetensors(saved)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    other = replace(model.config, blocks=(replace(model.config.blocks[0], kernel_size=5), *model.config.blocks[1:]))
    return save(state, metadata={"alexnet_config": other.to_json()})


BROKEN = {
    "empty": (lambda good: b"", "shorter than its 8-byte header length"),
    "a photo": (lambda good: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "its header would be"),
    "header longer than the file": (lambda good: struct.pack("<Q", 10**6) + b"{}", "its header would be"),
    "header not JSON": (lambda good: struct.pack("<Q", 4) + b"\xff\xfe{]", "its header is not JSON"),
    "header a list": (lambda good: _with_header([1, 2]), "does not say which network"),  # type: ignore[arg-type]
    "no metadata": (lambda good: save({"w": torch.zeros(2)}), "does not say which network"),
    "a configuration that is not JSON": (
        lambda good: save({"w": torch.zeros(2)}, metadata={"alexnet_config": "{not json"}),
        "The file's network cannot be built",
    ),
    "a network that cannot work": (
        lambda good: save({"w": torch.zeros(2)}, metadata={"alexnet_config": replace(SMALL, input_size=4).to_json()}),
        "The file's network cannot be built",
    ),
    "tensors cut short": (lambda good: good[: len(good) // 2], "damaged"),
    "a tensor too many and one missing": (
        lambda good: save({"extra": torch.zeros(1)}, metadata={"alexnet_config": SMALL.to_json()}),
        "missing classifier.1.bias, classifier.1.weight, classifier.4.bias, classifier.4.weight and 12 more; "
        "unexpected extra",
    ),
    "weights of another shape": (_other_network, "features.0.conv.weight is (32, 3, 3, 3), not (32, 3, 5, 5)"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_or_foreign_file_is_refused_with_what_is_wrong(saved, case):
    damage, message = BROKEN[case]
    with pytest.raises(AlexNetError) as refused:
        from_safetensors(damage(saved))
    assert message in refused.value.message and refused.value.fix


def test_random_weights_of_a_tanh_network_round_trip():
    from alexnet.network.model import build_model

    model = build_model(replace(SMALL, activation="tanh", num_classes=7), seed=3)
    again = from_safetensors(to_safetensors(model, weights="random, seed 3"))
    assert again.config == model.config
    pairs = zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def compare_script(run: str) -> None:
    from alexnet import runs
    from pages.parts.training import training_compare

    training_compare.show([runs.get_run(run)], 0.6)


def test_the_training_page_s_weights_button_gives_the_file(digits_run, saved, monkeypatch):
    deferred = record_deferred_downloads(monkeypatch)
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(digits_run.parent))
    at = AppTest.from_function(compare_script, args=(digits_run.name,), default_timeout=60)
    at.run()
    assert not at.exception
    button = at.download_button(key=f"train_weights_{digits_run.name}")
    assert not button.proto.disabled and button.proto.label == f"Weights of {digits_run.name} (.safetensors)"
    got = deferred[button.proto.deferred_file_id]()
    assert file_metadata(got) == file_metadata(saved)  # (the header's key order is the writer's hash map's)
    pressed, direct = from_safetensors(got).state_dict(), from_safetensors(saved).state_dict()
    assert all(torch.equal(pressed[name], tensor) for name, tensor in direct.items())


def test_activations_draws_an_uploaded_file_s_network_and_names_a_bad_one(digits_run, saved, monkeypatch, tmp_path):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))  # no runs here: the weights come from the file alone
    at = open_page("pages/activations.py", timeout=120)
    at.selectbox(key="act_weights").set_value("file").run()
    assert not at.exception
    assert any("Upload a .safetensors file" in info.value for info in at.info)

    at.sidebar.get("file_uploader")[0].set_value(("run.safetensors", saved, "application/octet-stream")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    captions = " ".join(c.value for c in at.caption)
    assert "uses that network, not the one set in the sidebar" in captions  # the file's 32 px network
    assert any("**conv1** has 32 maps of 32 x 32" in m.value for m in at.markdown)
    top5 = next(c.proto.spec for c in at.get("plotly_chart") if "Top 5 classes" in c.proto.spec)
    assert "digit " in top5  # the file says it learned the digits: the bars name them

    at.sidebar.get("file_uploader")[0].set_value(("notes.safetensors", b"not weights at all", "text/plain")).run()
    assert not at.exception
    assert any("This is not a safetensors file" in e.value for e in at.sidebar.error)
    assert any("Upload a .safetensors file" in info.value for info in at.info)  # nothing drawn from it


def test_an_upload_is_read_and_checked_once_however_often_the_page_reruns(saved):
    from pages.parts.activations.activation_data import remember_weights_file, weights_file

    reads = []

    def read() -> bytes:
        reads.append(1)
        return saved

    first = remember_weights_file("upload-1", read)
    assert [remember_weights_file("upload-1", read) for _ in range(3)] == [first] * 3
    assert len(reads) == 1 and weights_file("upload-1") == saved
    with pytest.raises(AlexNetError, match="not a safetensors file"):
        remember_weights_file("upload-2", lambda: b"not weights")
    with pytest.raises(AlexNetError, match="upload it again"):
        weights_file("upload-2")  # a refused file is not kept
