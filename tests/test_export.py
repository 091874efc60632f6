"""The exported files: JSON that round-trips, and a plain-torch .py that is our network."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.edit import import_config
from alexnet.network.export import to_pytorch_source
from alexnet.network.model import build_model

CIFAR = PRESETS["cifar"]
# Every feature the exporter writes differently: groups, no pool, no LRN, adaptive pool, one hidden layer.
ODD = replace(
    CIFAR.with_block(0, groups=1, norm=False).with_block(1, groups=2, pool=False),
    adaptive_pool=2,
    hidden_sizes=(64,),
    dropout=0.25,
    num_classes=7,
    in_channels=1,
)


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def exported_module(config: AlexNetConfig) -> dict:
    namespace: dict = {"__name__": "exported"}
    exec(compile(to_pytorch_source(config), "alexnet_model.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("config", [CIFAR, ODD, replace(ODD, activation="tanh")], ids=["cifar", "odd", "odd-tanh"])
def test_exported_source_is_our_network(config):
    ours = build_model(config, device="cpu", seed=3).eval()
    theirs = exported_module(config)["build"]().eval()
    assert parameter_count(theirs) == parameter_count(ours)
    theirs.load_state_dict(ours.state_dict(), strict=True)  # same module names, same shapes
    images = torch.randn(
        2, config.in_channels, config.input_size, config.input_size, generator=torch.Generator().manual_seed(0)
    )
    with torch.no_grad():
        torch.testing.assert_close(theirs(images), ours(images))


def test_exported_paper_network_counts_the_same_parameters():
    namespace = exported_module(PRESETS["paper"])
    with torch.device("meta"):  # 62 M parameters: count them without allocating them
        model = namespace["build"]()
    assert parameter_count(model) == parameter_count(build_model(PRESETS["paper"], device="meta"))


def test_exported_file_runs_as_a_script(tmp_path: Path):
    path = tmp_path / "alexnet_model.py"
    path.write_text(to_pytorch_source(CIFAR))
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True)
    assert "input (1, 3, 32, 32) -> output (1, 10)" in result.stdout


def test_a_broken_config_is_not_exported():
    with pytest.raises(AlexNetError, match="Fix:"):
        to_pytorch_source(replace(PRESETS["paper"], input_size=8))


@pytest.mark.parametrize("name", list(PRESETS))
def test_json_round_trips_through_the_importer(name):
    config = replace(PRESETS[name].with_block(0, kernel_size=7, stride=2), hidden_sizes=(512,))
    assert import_config(config.to_json().encode()) == config


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b"", "not valid JSON"),
        (b"not json {", "not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"input_size": "big"}', "'input_size' must be of type int, not 'big'"),
        (PRESETS["paper"].to_json().replace("11", "99").encode(), "block 1's kernel_size is 99"),
    ],
    ids=["empty", "not-json", "a-list", "wrong-type", "outside-limits"],
)
def test_a_broken_file_gives_a_plain_message(data, cause):
    with pytest.raises(AlexNetError) as caught:
        import_config(data)
    assert cause in caught.value.message, caught.value.message


def test_the_exported_file_uses_the_chosen_activation():
    relu, tanh = to_pytorch_source(CIFAR), to_pytorch_source(replace(CIFAR, activation="tanh"))
    assert "nn.Tanh" not in relu and "Conv2d -> ReLU" in relu
    assert "nn.ReLU" not in tanh and "Conv2d -> Tanh" in tanh
    # one after every conv and every hidden linear layer, named as in our model
    assert tanh.count('("tanh", nn.Tanh())') == len(CIFAR.blocks)
    assert tanh.count("nn.Tanh(),") == len(CIFAR.hidden_sizes)
