"""Configurations in links: they round-trip, and no query string can crash the page."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alexnet.network import link as link_module
from alexnet.network.config import PRESETS
from alexnet.network.edit import check_limits
from alexnet.network.link import CHANGES_PARAM, PRESET_PARAM, decode, encode


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_and_edits_round_trip(name):
    assert encode(PRESETS[name], name) == {PRESET_PARAM: name}
    edited = replace(PRESETS[name].with_block(1, stride=2, pool=False), hidden_sizes=(100,), adaptive_pool=3)
    assert decode(encode(edited, name)) == (name, edited)


def test_the_activation_travels_in_a_link_and_an_older_link_means_relu():
    tanh = replace(PRESETS["cifar"], activation="tanh")
    params = encode(tanh, "cifar")
    assert json.loads(params[CHANGES_PARAM]) == {"activation": "tanh"}
    assert decode(params) == ("cifar", tanh)
    # a link written before the choice existed names no activation: the preset's ReLU
    assert decode({PRESET_PARAM: "cifar", CHANGES_PARAM: '{"dropout": 0.25}'}) == (
        "cifar",
        replace(PRESETS["cifar"], dropout=0.25),
    )
    assert decode({PRESET_PARAM: "cifar", CHANGES_PARAM: '{"activation": "gelu"}'}) is None


@pytest.mark.parametrize(
    "params",
    [
        {},
        {PRESET_PARAM: "nope"},
        {PRESET_PARAM: "paper", CHANGES_PARAM: "{"},
        {PRESET_PARAM: "paper", CHANGES_PARAM: "[]"},
        {PRESET_PARAM: "paper", CHANGES_PARAM: '{"blocks": 5}'},
        {PRESET_PARAM: "paper", CHANGES_PARAM: '{"blocks": [7]}'},
        {PRESET_PARAM: "paper", CHANGES_PARAM: '{"input_size": 1e300}'},
        {PRESET_PARAM: "paper", CHANGES_PARAM: json.dumps({"blocks": [{"out_channels": 10**9}]})},
        {PRESET_PARAM: "paper", CHANGES_PARAM: json.dumps({"hidden_sizes": [1] * 50})},
        {PRESET_PARAM: "paper", CHANGES_PARAM: "x" * 10_000},
        {PRESET_PARAM: ["paper"]},
    ],
)
def test_hostile_links_are_ignored(params):
    assert decode(params) is None


@given(st.dictionaries(st.sampled_from([PRESET_PARAM, CHANGES_PARAM, "other"]), st.text(max_size=200)))
def test_decode_never_raises(params):
    result = decode(params)
    assert result is None or result[0] in PRESETS
    # what it returns is exactly what the link says: a known preset with the changes applied and checked
    if result is not None:
        assert result[0] == params[PRESET_PARAM] and check_limits(result[1]) is None


def test_decode_ignores_bad_links_but_not_its_own_bugs(monkeypatch):
    """Only a link's own faults are swallowed (bad JSON, wrong types, limits): a bug in the decoder
    itself must surface, or every shared link would silently open the default network."""
    link = {PRESET_PARAM: "paper", CHANGES_PARAM: '{"input_size": 300}'}
    assert decode(link) == ("paper", replace(PRESETS["paper"], input_size=300))

    def broken(base, changes):
        raise AttributeError("a bug in _apply")

    monkeypatch.setattr(link_module, "_apply", broken)
    with pytest.raises(AttributeError):
        decode(link)
