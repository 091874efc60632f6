from __future__ import annotations

import json
from dataclasses import replace

import pytest

from alexnet.errors import AlexNetError
from alexnet.network.config import ACTIVATIONS, PRESETS, AlexNetConfig, BlockConfig, preset

SEED_JSON = {
    "input_size": 227,
    "in_channels": 3,
    "num_classes": 10,
    "blocks": [
        {"out_channels": 96, "kernel_size": 11, "stride": 4, "padding": 0, "pool": True, "norm": True},
        {"out_channels": 256, "kernel_size": 5, "stride": 1, "padding": 2, "pool": True, "norm": True},
        {"out_channels": 384, "kernel_size": 3, "stride": 1, "padding": 1, "pool": False, "norm": False},
        {"out_channels": 384, "kernel_size": 3, "stride": 1, "padding": 1, "pool": False, "norm": False},
        {"out_channels": 256, "kernel_size": 3, "stride": 1, "padding": 1, "pool": True, "norm": True},
    ],
}


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_round_trips_through_json(name, tmp_path):
    path = tmp_path / f"{name}.json"
    PRESETS[name].save(path)
    assert AlexNetConfig.load(path) == PRESETS[name]


def test_the_issue_json_shape_loads_with_defaults_for_the_rest():
    config = AlexNetConfig.from_json(json.dumps(SEED_JSON))
    assert config.blocks == PRESETS["paper"].blocks
    assert config.num_classes == 10
    assert config.hidden_sizes == (4096, 4096)
    assert config.blocks[0].pool_kernel == 3 and config.blocks[0].pool_stride == 2


def test_configs_are_frozen_and_hashable():
    config = PRESETS["paper"]
    with pytest.raises(AttributeError):
        config.input_size = 3  # type: ignore[misc]
    assert hash(config) == hash(AlexNetConfig.from_dict(config.to_dict()))


def test_with_block_changes_one_block_only():
    changed = PRESETS["paper"].with_block(1, kernel_size=7)
    assert changed.blocks[1].kernel_size == 7
    assert changed.blocks[0] == PRESETS["paper"].blocks[0]
    assert PRESETS["paper"].blocks[1].kernel_size == 5


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"input_size": 227}', 'no "blocks"'),
        ('{"blocks": []}', "non-empty list"),
        ('{"blocks": [{"out_channels": 3}]}', "missing kernel_size"),
        ('{"blocks": [{"out_channels": 3, "kernel_size": "big"}]}', "'kernel_size' must be of type int"),
        ('{"blocks": [{"out_channels": 3, "kernel_size": 3}], "input_sise": 9}', "unknown key(s) input_sise"),
        ('{"blocks": [{"out_channels": 3, "kernel_size": 3, "pool": 1}]}', "'pool' must be of type bool"),
        ('{"blocks": [{"out_channels": 3, "kernel_size": 3}], "hidden_sizes": "4096"}', "hidden_sizes"),
    ],
)
def test_broken_json_is_explained(text, words):
    with pytest.raises(AlexNetError) as info:
        AlexNetConfig.from_json(text)
    assert words in info.value.message


def test_unknown_preset_lists_the_real_ones():
    with pytest.raises(AlexNetError, match="paper, notebook, torchvision, cifar"):
        preset("vgg")


def test_block_defaults_are_the_papers_overlapping_pool():
    block = BlockConfig(out_channels=8, kernel_size=3)
    assert (block.pool_kernel, block.pool_stride, block.groups) == (3, 2, 1)


def test_the_activation_round_trips_and_an_older_file_is_relu(tmp_path):
    tanh = replace(PRESETS["cifar"], activation="tanh")
    tanh.save(tmp_path / "tanh.json")
    assert json.loads((tmp_path / "tanh.json").read_text())["activation"] == "tanh"
    assert AlexNetConfig.load(tmp_path / "tanh.json") == tanh
    # a file saved before the choice existed has no "activation" key: it meant ReLU
    old = {key: value for key, value in PRESETS["cifar"].to_dict().items() if key != "activation"}
    assert AlexNetConfig.from_dict(old).activation == "relu" == AlexNetConfig().activation
    assert set(ACTIVATIONS) == {"relu", "tanh"}


@pytest.mark.parametrize(("value", "words"), [('"gelu"', "no activation called 'gelu'"), ("1", "of type str")])
def test_an_unknown_activation_is_explained_with_the_choices(value, words):
    with pytest.raises(AlexNetError) as info:
        AlexNetConfig.from_json(f'{{"blocks": [{{"out_channels": 3, "kernel_size": 3}}], "activation": {value}}}')
    assert words in info.value.message
    if value == '"gelu"':
        assert info.value.fix == "use one of relu, tanh (relu is the paper's choice)."
