"""The paper's recipe beside today's default: per-step accuracy, the paper's init, the plateau
schedule (and its state through a resume), named recipes and their command line."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace

import numpy as np
import pytest
import torch
from torch import nn

from alexnet.cli.train import build_parser, network_and_settings
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model, init_weights
from alexnet.training import run_folder
from alexnet.training.loop import Evaluation
from alexnet.training.run import Trainer, train_run
from alexnet.training.run_folder import read as run_files
from alexnet.training.schedule import Plateau
from alexnet.training.settings import RECIPES, TrainSettings, default_settings, recipe_settings

TINY = replace(PRESETS["cifar"], input_size=16)  # 16 -> 7 -> 3 -> 1 through the three pools


def test_each_step_reports_its_batch_accuracy():
    """Four points, a fixed classifier (lr 0) that gets two of them right: accuracy 0.5."""
    data = torch.utils.data.TensorDataset(torch.eye(4), torch.arange(4))
    model = nn.Linear(4, 4, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(4)[[0, 1, 3, 2]])  # says 3 for a 2 and 2 for a 3
    trainer = Trainer(
        model, data, torch.optim.SGD(model.parameters(), lr=0.0), batch_size=4, epochs=1, device=torch.device("cpu")
    )
    seen = []
    trainer.add_callback("on_step_end", lambda t: seen.append(t.accuracy))
    trainer.run()
    assert seen == [0.5]


def test_the_papers_init_draws_every_weight_from_n_0_001_and_sets_biases_layer_by_layer():
    model = build_model(PRESETS["paper"], seed=0)
    init_weights(model, "paper")
    convs = [model.features[i].conv for i in range(5)]
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    for layer in convs + linears:
        assert layer.weight.mean().item() == pytest.approx(0.0, abs=1e-3)
        assert layer.weight.std().item() == pytest.approx(0.01, rel=0.05), layer
    # "the second, fourth, and fifth convolutional layers, as well as in the fully-connected hidden layers"
    assert [c.bias.unique().tolist() for c in convs] == [[0.0], [1.0], [0.0], [1.0], [1.0]]
    assert [fc.bias.unique().tolist() for fc in linears] == [[1.0], [1.0], [0.0]]


def test_the_papers_init_on_three_convolutions_sets_the_second_alone():
    config = replace(PRESETS["cifar"], blocks=PRESETS["cifar"].blocks[:3])
    model = build_model(config, seed=0)
    init_weights(model, "paper")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.bias.unique().tolist() for c in convs] == [[0.0], [1.0], [0.0]]


def test_the_plateau_divides_by_ten_after_patience_epochs_without_improvement():
    plateau = Plateau(patience=1)
    divided = [plateau.update(error) for error in (0.9, 0.5, 0.5, 0.4999, 0.3, 0.35)]
    # better, better, same (divide), no better by more than the threshold (divide), better, worse (divide)
    assert divided == [False, False, True, True, False, True]
    assert plateau.divisions == 3 and plateau.factor == pytest.approx(1e-3) and plateau.best == 0.3
    patient = Plateau(patience=2)
    assert [patient.update(e) for e in (0.5, 0.6, 0.6, 0.6, 0.6)] == [False, False, True, False, True]
    again = Plateau(patience=2)
    again.load_state_dict(json.loads(json.dumps(patient.state_dict())))
    assert (again.best, again.bad_epochs, again.divisions) == (0.5, 0, 2)


def test_a_plateau_run_divides_its_lr_and_a_resumed_run_continues_at_the_divided_lr(tmp_path, monkeypatch):
    # the validation accuracy stays at 10%: epoch 1 sets the best, epoch 2 does not improve on it
    at_chance = Evaluation(2.3, 0.1, np.zeros(0, int), np.zeros(0, int), np.zeros(0, np.float32))
    monkeypatch.setattr("alexnet.training.recorder.evaluate", lambda *a, **k: at_chance)
    paper = recipe_settings(TINY, "paper", checkpoint_every=1000, max_steps=26)  # 12 steps an epoch at batch 128
    state, run_dir = train_run(TINY, paper, runs_dir=tmp_path, run_id="plateau", progress=False)
    assert state == "finished"
    lrs = {r["step"]: r["lr"] for r in run_files.read_metrics(run_dir).steps}
    assert lrs[1] == lrs[24] == pytest.approx(0.01)  # no warm-up in the paper's recipe
    assert lrs[25] == lrs[26] == pytest.approx(0.001)  # divided after epoch 2's validation
    assert run_files.load_checkpoint(run_dir)["plateau"]["divisions"] == 1
    state, _ = train_run(TINY, paper, runs_dir=tmp_path, resume="plateau", overrides={"max_steps": 30}, progress=False)
    assert state == "finished"
    lrs = {r["step"]: r["lr"] for r in run_files.read_metrics(run_dir).steps}
    assert [lrs[s] for s in range(27, 31)] == pytest.approx([0.001] * 4)  # no epoch end since: the saved state
    saved = json.loads((run_dir / run_folder.CONFIG).read_text())["training"]
    assert (saved["schedule"], saved["init"], saved["recipe"]) == ("plateau", "paper", "paper")


def test_each_step_record_carries_the_batch_accuracy(tmp_path):
    _, run_dir = train_run(TINY, TrainSettings(max_steps=3), runs_dir=tmp_path, progress=False)
    steps = run_files.read_metrics(run_dir).steps
    assert len(steps) == 3 and all(0 <= r["accuracy"] <= 1 for r in steps)


def test_the_papers_recipe_and_todays_default():
    config = PRESETS["cifar"]
    assert set(RECIPES) == {"default", "paper"}
    assert recipe_settings(config) == default_settings(config)
    paper = recipe_settings(config, "paper")
    assert (paper.optimizer, paper.lr, paper.momentum, paper.weight_decay) == ("sgd", 0.01, 0.9, 5e-4)
    assert (paper.schedule, paper.warmup_steps, paper.init, paper.batch_size, paper.recipe) == (
        "plateau",
        0,
        "paper",
        128,
        "paper",
    )
    assert recipe_settings(config, "paper", epochs=3).epochs == 3
    adamw = recipe_settings(config, "paper", optimizer="adamw")  # AdamW's own rate, the recipe's schedule
    assert (adamw.lr, adamw.weight_decay, adamw.schedule) == (2e-3, 0.01, "plateau")
    with pytest.raises(AlexNetError, match="no recipe 'fast'") as error:
        recipe_settings(config, "fast")
    assert "default, paper" in error.value.fix


def test_settings_saved_before_recipes_still_read_and_bad_ones_are_refused():
    old = {k: v for k, v in asdict(TrainSettings()).items() if k not in ("recipe", "plateau_patience")}
    assert TrainSettings.from_dict(old) == TrainSettings()
    with pytest.raises(AlexNetError, match="Unknown recipe"):
        TrainSettings(recipe="fast").check()
    with pytest.raises(AlexNetError, match="patience"):
        TrainSettings(plateau_patience=0).check()
    assert TrainSettings(schedule="plateau", warmup_steps=2).lr_factor(10, 20) == 1.0  # 0.1^k comes from the run


@pytest.mark.parametrize(
    ("argv", "changes"),
    [
        ([], {}),
        (["--epochs", "3", "--batch-size", "64"], {"epochs": 3, "batch_size": 64}),
        (["--optimizer", "adamw"], {"optimizer": "adamw"}),
        (["--plateau-patience", "2", "--init", "kaiming"], {"plateau_patience": 2, "init": "kaiming"}),
    ],
)
def test_the_command_line_takes_a_recipe_and_flags_override_it(argv, changes):
    config, settings = network_and_settings(build_parser().parse_args(["--recipe", "paper", *argv]))
    assert settings == recipe_settings(config, "paper", **changes)


def test_the_command_line_offers_the_papers_init_and_schedule():
    args = build_parser().parse_args(["--init", "paper", "--schedule", "plateau"])
    _, settings = network_and_settings(args)
    assert (settings.init, settings.schedule, settings.recipe, settings.optimizer) == (
        "paper",
        "plateau",
        "default",
        "adamw",
    )
    assert not math.isnan(settings.lr)


def records(loss: float, accuracy: float, epochs: int = 3, steps_per_epoch: int = 12) -> tuple[list, list]:
    steps = [{"kind": "step", "step": s, "loss": loss} for s in range(1, epochs * steps_per_epoch + 1)]
    last = {"kind": "epoch", "step": epochs * steps_per_epoch, "epoch": float(epochs), "train_loss": loss}
    return steps, [last | {"val_accuracy": accuracy}]


def test_a_run_at_chance_is_said_plainly_not_to_learn():
    from alexnet.training.learning_check import not_learning

    said = not_learning(*records(2.31, 0.11), 10, recipe="paper")
    assert said == (
        "After 3 epochs (36 steps) the training loss is still 2.31, chance for 10 classes (ln 10 = 2.30), and "
        "validation accuracy 11% is chance (10%): this network does not learn with these settings in this many "
        "steps. The paper trained 90 epochs of 1.2 M images; try more epochs, or today's default recipe. "
        "Nothing was changed for you."
    )
    assert "another learning rate" in not_learning(*records(2.25, 0.14), 10)  # 14% <= 1.5 x 10%, 2.25 within 5%
    steps, epochs = records(2.30, 0.1)
    del epochs[0]["train_loss"]  # an older record: the last steps' losses stand in
    assert not_learning(steps, epochs, 10) is not None


def test_a_run_that_learns_or_has_not_validated_yet_is_left_alone():
    from alexnet.training.learning_check import not_learning

    assert not_learning(*records(2.30, 0.16), 10) is None  # above 1.5 x chance: learning has begun
    assert not_learning(*records(2.15, 0.11), 10) is None  # the loss moved more than 5 % from ln 10
    assert not_learning(*records(0.4, 0.9), 10) is None
    steps, _ = records(2.30, 0.1)
    assert not_learning(steps, [], 10) is None  # no validated epoch yet
    _, early = records(2.30, 0.1)
    early[0]["epoch"] = 0.5  # validated where max_steps ended, mid-epoch: too early to say
    assert not_learning(steps, early, 10) is None
