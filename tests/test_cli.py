"""``python -m alexnet`` as a user runs it, and its exit codes.

Most commands run in this process, through the CLI's own ``main`` (``cli``): the same parser, the
same handlers and the same exit code, without a new interpreter importing torch for each (about
4 s a command on two cores). One real process per exit code checks what ``python -m alexnet``
adds around ``main``: 0 (``presets``, ``explain``), 2 (an impossible configuration), and the
imports of the top-level help (``modules_imported_by``)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from alexnet.cli.main import main
from alexnet.cli.train import build_parser, network_and_settings

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m alexnet ARGS`` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "alexnet", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``main(ARGS)`` in this process, as ``run_cli`` reports it: the exit code (argparse's own
    exits included), and what was written to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(["alexnet", *args], code, out.getvalue(), err.getvalue())


def test_presets_lists_every_preset():
    result = run_cli("presets")
    assert result.returncode == 0
    for name in ("paper", "notebook", "torchvision", "cifar"):
        assert name in result.stdout


def test_shapes_table_shows_formula_analytic_and_real():
    result = cli("shapes", "--preset", "paper")
    assert result.returncode == 0, result.stderr
    assert "floor((227 - 11 + 2*0) / 4) + 1 = 55" in result.stdout
    assert "96×55×55   96×55×55   ok" in result.stdout
    assert "DIFFERS" not in result.stdout
    assert "227..258" in result.stdout


def test_shapes_json():
    result = cli("shapes", "--preset", "notebook", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["flatten_features"] == 9216
    layers = {layer["name"]: layer for layer in data["layers"]}
    assert layers["conv1"]["analytic"] == layers["conv1"]["real"] == [96, 55, 55]
    assert layers["flatten"]["analytic"] == [9216]
    assert layers["fc8"]["real"] == [10]
    assert all(layer["analytic"] == layer["real"] for layer in data["layers"])


def test_config_file_and_overrides(tmp_path):
    config = {
        "input_size": 64,
        "in_channels": 1,
        "num_classes": 3,
        "blocks": [{"out_channels": 4, "kernel_size": 5, "stride": 2, "padding": 0, "pool": True, "norm": False}],
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(config))
    data = json.loads(cli("shapes", "--config", str(path), "--input-size", "32", "--json").stdout)
    # floor((32 - 5) / 2) + 1 = 14, then the pool: floor((14 - 3) / 2) + 1 = 6
    assert data["layers"][0]["real"] == [4, 14, 14]
    assert data["flatten_features"] == 4 * 6 * 6


def test_activation_option_renames_the_layers_and_keeps_every_number():
    relu, tanh = (
        json.loads(cli("shapes", "--preset", "cifar", "--activation", name, "--json").stdout)["layers"]
        for name in ("relu", "tanh")
    )
    assert [layer["name"] for layer in tanh] == [layer["name"].replace("relu", "tanh") for layer in relu]
    assert "tanh1" in [layer["name"] for layer in tanh] and "tanh7" in [layer["name"] for layer in tanh]
    assert all(layer["analytic"] == layer["real"] for layer in tanh)
    drop = ("name", "kind", "module")
    assert [{k: v for k, v in layer.items() if k not in drop} for layer in tanh] == [
        {k: v for k, v in layer.items() if k not in drop} for layer in relu
    ]
    refused = cli("summary", "--preset", "cifar", "--activation", "gelu")
    assert refused.returncode == 2 and "choose from 'relu', 'tanh'" in refused.stderr


def test_train_takes_the_activation_without_a_run():
    config, _ = network_and_settings(build_parser().parse_args(["--preset", "cifar", "--activation", "tanh"]))
    assert config.activation == "tanh"
    config, _ = network_and_settings(build_parser().parse_args(["--preset", "cifar"]))
    assert config.activation == "relu"


@pytest.mark.parametrize(
    ("args", "runner"),
    [
        (("shapes", "--preset", "paper", "--input-size", "8"), run_cli),  # exit code 2 from a real process
        (("shapes", "--preset", "paper", "--input-size", "8", "--json"), cli),
        (("summary", "--preset", "paper", "--input-size", "8"), cli),
    ],
    ids=["shapes-process", "shapes-json", "summary"],
)
def test_invalid_configuration_exits_2_with_a_plain_message(args, runner):
    result = runner(*args)
    assert result.returncode == 2
    assert "conv1" in result.stderr and "Fix:" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_config_file_exits_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ this is not json")
    result = cli("shapes", "--config", str(path))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr and "Traceback" not in result.stderr
    missing = cli("shapes", "--config", str(tmp_path / "missing.json"))
    assert missing.returncode == 2 and "Cannot read" in missing.stderr


def test_summary_json_has_total_params():
    result = cli("summary", "--preset", "torchvision", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total_params"] == 61_100_840
    assert any(layer["name"] == "conv1" and layer["params"] == 23_296 for layer in data["layers"])


def test_summary_prints_torchinfos_table():
    result = cli("summary", "--preset", "cifar")
    assert result.returncode == 0
    assert "Total params: 429,258" in result.stdout


def test_train_with_an_invalid_configuration_exits_2_before_making_a_run(tmp_path):
    result = cli("train", "--preset", "paper", "--input-size", "8", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2
    assert "conv1" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


# `python -m alexnet ARGS` in a fresh interpreter that then prints, on stderr, every module it imported
IMPORTS_AFTER = """
import json, runpy, sys
sys.argv = ["alexnet", *sys.argv[1:]]
try:
    runpy.run_module("alexnet", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_imported_by(*args: str) -> tuple[str, set[str]]:
    """(stdout, the modules in sys.modules) of ``python -m alexnet ARGS``."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_AFTER, *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, set(json.loads(result.stderr.splitlines()[-1]))


def test_help_lists_train_without_importing_the_trainer():
    """The top-level help is argparse over the light subcommands: torch, the trainer and its parser
    are imported only for `train` (alexnet.cli.main imports alexnet.cli.train inside main)."""
    out, modules = modules_imported_by("--help")
    assert "train" in out and "usage: python -m alexnet" in out
    trainer = {"torch", "torchvision", "alexnet.cli.train", "alexnet.training", "alexnet.training.run"}
    assert not trainer & modules, sorted(trainer & modules)
    assert not any(name.startswith(("torch.", "alexnet.training.")) for name in modules)
    # the probe sees imports when there are some: the trainer's own help pulls all of them in
    out, modules = modules_imported_by("train", "--help")
    assert "--epochs" in out and trainer <= modules


@pytest.mark.slow
def test_explain_writes_the_grad_cam_overlay_of_a_run(tmp_path, digits_run):
    import numpy as np
    from PIL import Image

    from alexnet import runs
    from alexnet.inspect import images

    root, run_id = digits_run.parent, digits_run.name  # the suite's trained run (conftest), this module's copy
    digit = images.digit_sample(7)  # (8, 8, 3) uint8
    Image.fromarray(digit).save(tmp_path / "seven.png")
    out = tmp_path / "heat.png"

    result = run_cli(
        "explain", "--run", run_id, "--image", str(tmp_path / "seven.png"), "--layer", "conv3", "--class", "7",
        "--out", str(out), "--runs-dir", str(root),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Grad-CAM of class '7' at conv3" in result.stdout and str(out) in result.stdout
    written = np.asarray(Image.open(out))
    assert written.shape == (256, 256, 3)
    # the same picture, drawn here from the run's checkpoint without alexnet.inspect.gradcam or
    # alexnet.plots.gradcam: Grad-CAM by hand with plain torch, the blend by its formula
    prepared = images.preprocess(digit, runs.run_config(run_id, root))
    heat = plain_grad_cam(runs.load_run_model(run_id, directory=root), prepared.batch, block=2, target=7)
    expected = blend_by_hand(prepared.resized, heat, 0.6, side=256)
    # within one level of 255: the library (Captum) and plain torch may sum the same products in another
    # order, and a heat value one float step apart can round to the next colour level on another CPU
    assert np.abs(written.astype(int) - expected.astype(int)).max() <= 1

    for args, message in (
        (["--layer", "conv9"], "no layer 'conv9'"),
        (["--class", "horse"], "no class called 'horse'"),
    ):
        failed = cli(
            "explain", "--run", run_id, "--image", str(tmp_path / "seven.png"), "--out", str(out),
            "--runs-dir", str(root), *args,
        )  # fmt: skip
        assert failed.returncode == 2 and message in failed.stderr and "Traceback" not in failed.stderr
    missing = cli("explain", "--run", "nope", "--image", str(out), "--out", str(out), "--runs-dir", str(root))
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr


def plain_grad_cam(model, batch, *, block: int, target: int):
    """Grad-CAM (Selvaraju et al., 2017) with plain torch: A = block's ReLU output (1, K, h, w),
    alpha_k = mean over (i, j) of dy_target / dA_k, L = ReLU(sum_k alpha_k A_k), bilinearly
    upsampled to the input (half-pixel centres) and divided by its maximum. (S, S) float32."""
    import torch
    import torch.nn.functional as F

    kept = []
    hook = model.features[block].relu.register_forward_hook(lambda module, inputs, output: kept.append(output))
    model.eval()
    try:
        logits = model(batch.float())  # (1, classes)
    finally:
        hook.remove()
    (maps,) = kept  # (1, K, h, w)
    (grads,) = torch.autograd.grad(logits[0, target], maps)
    cam = torch.relu((grads.mean(dim=(2, 3), keepdim=True) * maps).sum(dim=1, keepdim=True))  # (1, 1, h, w)
    up = F.interpolate(cam, size=tuple(batch.shape[-2:]), mode="bilinear", align_corners=False)[0, 0]
    up = up.clamp_min(0).detach().numpy().astype("float32")
    return up / up.max() if up.max() > 0 else up


def blend_by_hand(picture, heat, opacity: float, *, side: int):
    """pixel = (1 - opacity h) image + opacity h turbo(h), on the picture and heat enlarged bilinearly
    by PIL to side x side; turbo(h) is plotly's Turbo colour stops interpolated linearly in RGB at
    h rounded to 1/255."""
    import numpy as np
    from PIL import Image
    from plotly.colors import hex_to_rgb, sequential

    base = np.asarray(Image.fromarray(picture).resize((side, side), Image.Resampling.BILINEAR), dtype=np.float64)
    heat = Image.fromarray(np.asarray(heat, dtype=np.float32), mode="F").resize((side, side), Image.Resampling.BILINEAR)
    heat = np.clip(np.asarray(heat), 0, 1)
    stops = np.array([hex_to_rgb(colour) for colour in sequential.Turbo], dtype=np.float64)  # (n, 3)
    at = np.linspace(0, 1, len(stops))
    level = np.rint(heat * 255) / 255
    colour = np.stack([np.interp(level, at, stops[:, c]) for c in range(3)], axis=-1).round()
    weight = opacity * heat[..., None]
    return np.clip(np.rint((1 - weight) * base + weight * colour), 0, 255).astype(np.uint8)
