"""The opt-in ImageNet weights: loaded from torch.hub's cache, explained when missing or offline."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.error import URLError

import pytest
import torch
import torchvision

from alexnet.errors import AlexNetError
from alexnet.inspect import pretrained


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    yield tmp_path
    torch.hub.set_dir(previous)


def test_categories_come_with_torchvision():
    assert len(pretrained.CATEGORIES) == 1000 and pretrained.CATEGORIES[0] == "tench"


def test_missing_weights_are_explained_without_network(hub_dir, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlretrieve", lambda *a, **k: pytest.fail("must not download"))
    with pytest.raises(AlexNetError, match="not on this machine"):
        pretrained.load_pretrained()


def test_offline_download_fails_clearly_and_leaves_no_partial_file(hub_dir, monkeypatch):
    def offline(url, filename, reporthook=None):
        Path(filename).write_bytes(b"half a file")
        raise URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlretrieve", offline)
    with pytest.raises(AlexNetError, match="offline") as info:
        pretrained.load_pretrained(download=True)
    assert str(pretrained.cached_weights_path()) in info.value.fix
    assert list(hub_dir.rglob("*")) == [hub_dir / "checkpoints"]


def test_cached_weights_load_into_our_model(hub_dir):
    reference = torchvision.models.alexnet().eval()
    pretrained.cached_weights_path().parent.mkdir(parents=True)
    torch.save(reference.state_dict(), pretrained.cached_weights_path())
    model = pretrained.load_pretrained()
    assert not model.training
    images = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(model(images), reference(images))
