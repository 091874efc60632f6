"""Experiments: the verdict rule, the variants' one change, the measures, and a tiny experiment end to end."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from alexnet.errors import AlexNetError
from alexnet.experiments import claims, measures, results, verdict
from alexnet.experiments.store import load, plan
from alexnet.network.config import PRESETS
from alexnet.network.shapes import layer_table
from alexnet.training.settings import TrainSettings

TINY = replace(PRESETS["cifar"], input_size=16)


# --- the verdict rule on synthetic measures -------------------------------------------------------


def test_clearly_apart_in_the_claims_direction_holds():
    decided = verdict.verdict([40, 44, 42], [120, 129, 115], expect="lower")
    assert decided.label == verdict.HOLDS and decided.p < 0.01


def test_clearly_apart_against_the_claims_direction_is_reversed():
    # the issue's own numbers: tanh (B) reached 25 % training error long before ReLU (A)
    decided = verdict.verdict([115, 129, 121], [44, 44.5, 47], expect="lower")
    assert decided.label == verdict.REVERSED and decided.p < verdict.ALPHA
    # with two seeds Welch's test has about one degree of freedom when one variant's spread
    # dominates: the same gap is then not beyond the spread, and the rule says so
    assert verdict.verdict([115, 129], [44, 44.5], expect="lower").label == verdict.SPREAD


def test_overlapping_seeds_are_within_the_spread():
    decided = verdict.verdict([0.06, 0.12, 0.08], [0.07, 0.11, 0.10], expect="lower")
    assert decided.label == verdict.SPREAD and decided.p >= verdict.ALPHA


def test_a_small_difference_with_a_large_spread_is_not_a_verdict_but_a_large_one_is():
    assert verdict.verdict([10, 30], [12, 32], expect="lower").label == verdict.SPREAD
    assert verdict.verdict([10, 11], [30, 31], expect="higher").label == verdict.REVERSED


def test_values_without_spread_decide_by_their_difference_alone():
    assert verdict.verdict([100, 100], [200, 200], expect="lower").label == verdict.HOLDS
    assert verdict.verdict([100, 100], [100, 100], expect="lower").label == verdict.SPREAD


def test_one_run_per_variant_is_too_few_and_a_free_comparison_names_the_lower():
    assert verdict.verdict([1.0], [2.0], expect="lower").label == verdict.TOO_FEW
    assert verdict.verdict([1.0, 1.1], [2.0, 2.1], expect=None).label == "A lower here"


# --- each experiment changes one field ------------------------------------------------------------


def _flat(value, prefix=""):
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}.{key}" if prefix else key).items()
        }
    if isinstance(value, (list, tuple)):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{prefix}[{i}]").items()}
    return {prefix: value}


@pytest.mark.parametrize("preset_name", ["paper", "cifar", "notebook", "torchvision"])
@pytest.mark.parametrize("name", list(claims.CLAIMS))
def test_each_variant_differs_from_the_base_in_the_claims_field_alone(name, preset_name):
    claim, base = claims.CLAIMS[name], PRESETS[preset_name]
    field_name = claim.field.split(".")[-1]
    a, b = claim.make(base)
    flat_base, flat_a, flat_b = _flat(base.to_dict()), _flat(a.to_dict()), _flat(b.to_dict())
    assert flat_a.keys() == flat_base.keys() == flat_b.keys()
    for variant in (flat_a, flat_b):
        changed = {key for key in flat_base if variant[key] != flat_base[key]}
        assert all(key.split(".")[-1] == field_name for key in changed), changed
    # ...and the two variants do differ in it, and both work
    assert {key for key in flat_a if flat_a[key] != flat_b[key]}, f"{name} made two equal networks"
    layer_table(a), layer_table(b)


def test_the_variants_are_the_papers_choice_and_its_comparison():
    a, b = claims.claim("relu-vs-tanh").make(PRESETS["cifar"])
    assert (a.activation, b.activation) == ("relu", "tanh")
    a, b = claims.claim("overlapping-pool").make(PRESETS["paper"])
    assert [blk.pool_kernel for blk in a.blocks if blk.pool] == [3, 3, 3]
    assert [blk.pool_kernel for blk in b.blocks if blk.pool] == [2, 2, 2]
    a, b = claims.claim("groups").make(PRESETS["paper"])
    assert [blk.groups for blk in a.blocks] == [1, 2, 1, 2, 2] and {blk.groups for blk in b.blocks} == {1}
    a, b = claims.claim("lrn").make(PRESETS["torchvision"])  # no LRN of its own: the paper's places
    assert [blk.norm for blk in a.blocks] == [True, True, False, False, False]
    a, b = claims.claim("dropout").make(replace(PRESETS["cifar"], dropout=0.0))
    assert (a.dropout, b.dropout) == (0.5, 0.0)


def test_a_claim_the_network_cannot_take_is_explained():
    with pytest.raises(AlexNetError, match="odd"):
        plan("groups", PRESETS["cifar"].with_block(1, out_channels=63), TrainSettings())
    with pytest.raises(AlexNetError, match="no experiment called"):
        plan("bigger-is-better", PRESETS["cifar"], TrainSettings())


# --- the measures ---------------------------------------------------------------------------------


def _steps(accuracies):
    return [{"kind": "step", "step": i + 1, "loss": 1.0, "accuracy": a} for i, a in enumerate(accuracies)]


def test_steps_to_error_reads_the_moving_average_not_one_lucky_batch():
    lucky = [0.1] * 10 + [0.9] + [0.1] * 9 + [1.0] * 20
    found = measures.steps_to_error(_steps(lucky))
    # the lone 0.9 at step 11 moves the 10-step mean to 0.18; the mean first reaches 0.75 error at step 28
    assert found.reached and found.value == 28
    never = measures.steps_to_error(_steps([0.2] * 30))
    assert not never.reached and never.value == 30


def test_gap_and_validation_error_come_from_the_last_epoch():
    steps = _steps([0.5] * 10 + [0.9] * 10)
    epochs = [{"step": 10, "epoch": 1, "val_accuracy": 0.4}, {"step": 20, "epoch": 2, "val_accuracy": 0.8}]
    assert measures.val_error(epochs).value == pytest.approx(0.2)
    assert measures.train_val_gap(steps, epochs).value == pytest.approx(0.2 - 0.1)


def test_a_band_spans_the_seeds_where_all_have_values():
    made = results.band([([1, 2, 3], [1.0, 2.0, 3.0]), ([1, 2], [3.0, 4.0])])
    assert made.x == (1, 2) and made.mean == (2.0, 3.0) and made.low == (1.0, 2.0) and made.high == (3.0, 4.0)


# --- end to end -----------------------------------------------------------------------------------


def test_a_tiny_experiment_end_to_end_writes_the_same_numbers_it_prints(tmp_path, capsys):
    from alexnet.cli.main import main

    network = tmp_path / "tiny.json"
    TINY.save(network)
    out = tmp_path / "out.json"
    argv = ["experiment", "relu-vs-tanh", "--config", str(network), "--seeds", "2", "--epochs", "1"]
    code = main([*argv, "--runs-dir", str(tmp_path / "runs"), "--json", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    written = json.loads(out.read_text())
    assert [v["label"] for v in written["variants"]] == ["ReLU", "tanh"]
    assert all(states == ["finished", "finished"] for states in (v["states"] for v in written["variants"]))
    steps, val = written["measures"]
    assert steps["key"] == "steps_to_error" and len(steps["per_seed"][0]) == len(steps["per_seed"][1]) == 2
    assert all(0 <= e <= 1 for seeds in val["per_seed"] for e in seeds)
    reached = any(r for seeds in steps["reached"] for r in seeds)
    decided = (verdict.HOLDS, verdict.REVERSED, verdict.SPREAD) if reached else (verdict.NOT_REACHED,)
    assert steps["verdict"] in decided
    assert steps["verdict"] in printed and "Welch" in printed
    # the experiment's file names its four runs, which trained the two networks with seeds 0 and 1
    saved = load(written["experiment"], tmp_path / "runs")
    assert saved.seeds == (0, 1) and all(all(ids) for ids in saved.run_ids)
    configs = [json.loads((tmp_path / "runs" / rid / "config.json").read_text()) for rid in saved.run_ids[1]]
    assert [c["network"]["activation"] for c in configs] == ["tanh", "tanh"]
    assert [c["training"]["seed"] for c in configs] == [0, 1]


def _wait(condition, timeout: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def test_an_experiment_queues_its_runs_stops_and_resumes_as_one(tmp_path):
    from alexnet import runs
    from alexnet.experiments import store

    experiment = store.start(plan("dropout", TINY, TrainSettings(epochs=50, log_every=5), 2), tmp_path)
    infos = store.run_infos(experiment, tmp_path)
    assert sorted(i.state for v in infos for i in v) == ["queued", "queued", "queued", "running"]
    first = infos[0][0]
    assert store.load(experiment.id, tmp_path).run_ids == experiment.run_ids  # a reload reads the same file
    _wait(lambda: runs.get_run(first.run_id, tmp_path).step > 0)

    store.stop(experiment, tmp_path)
    _wait(lambda: runs.get_run(first.run_id, tmp_path).state == "stopped")
    stopped = store.load(experiment.id, tmp_path)
    assert stopped.run_ids[0][0] == first.run_id  # the run that trained stays, with its checkpoint
    assert stopped.run_ids[1] == (None, None) and stopped.run_ids[0][1] is None  # the waiting ones are gone
    assert not runs.queued_runs(tmp_path) and store.state(stopped, store.run_infos(stopped, tmp_path)) == "stopped"

    resumed = store.resume(stopped, tmp_path)
    infos = store.run_infos(resumed, tmp_path)
    assert infos[0][0].run_id == first.run_id and infos[0][0].state in ("running", "queued")
    assert all(i is not None for v in infos for i in v) and store.state(resumed, infos) == "running"
    store.stop(resumed, tmp_path)
    _wait(lambda: not any(i.active for i in runs.list_runs(tmp_path)))


def test_under_the_papers_recipe_a_short_experiment_says_plainly_that_nothing_learned(tmp_path):
    from alexnet.cli.main import main

    network = tmp_path / "tiny.json"
    TINY.save(network)
    out = tmp_path / "out.json"
    argv = [
        "experiment",
        "relu-vs-tanh",
        "--config",
        str(network),
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--recipe",
        "paper",
    ]
    assert main([*argv, "--runs-dir", str(tmp_path / "runs"), "--json", str(out), "--no-progress"]) == 0
    written = json.loads(out.read_text())
    assert written["settings"]["optimizer"] == "sgd" and written["settings"]["batch_size"] == 128
    steps = written["measures"][0]
    assert steps["reached"] == [[False, False], [False, False]] and steps["verdict"] == verdict.NOT_REACHED
    assert steps["ours"] is None  # two lower bounds give no ratio
    assert len(written["did_not_learn"]) == 4 and "chance" in written["did_not_learn"][0]["why"]
