"""Where the network looks: Grad-CAM and vanilla-gradient saliency for one image.

Both come from Captum (Meta's attribution library for PyTorch), which computes them with
forward hooks and autograd:

- **Grad-CAM** (Selvaraju et al., 2017). For class c with score y_c (the logit, before the
  softmax) and the K feature maps A_k of a convolutional layer, each map gets the weight

      alpha_k = (1 / (H * W)) * sum_ij dy_c / dA_k[i, j]       (the mean gradient over the map)

  and the map is

      L_c = ReLU(sum_k alpha_k * A_k)                          (H x W, the layer's resolution)

  upsampled bilinearly to the input's size to lie over the image. "conv N" means the rectified
  maps of block N (the output of its ReLU, before LRN and pooling), as in the paper's
  ``relu5_3`` for VGG.
- **Saliency** (Simonyan et al., 2014): |dy_c / dx| per input pixel, the largest over the
  colour channels: which pixels would change the score most if nudged.

Nothing here imports streamlit; the Activations page and ``python -m alexnet explain`` call it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from alexnet.errors import AlexNetError
from alexnet.network.model import AlexNet


@dataclass(frozen=True)
class Explanation:
    """Grad-CAM and saliency of one image for one class.

    Attributes:
        layer: the layer's name ("conv5").
        target: the class explained (an output index).
        top: the network's top prediction for this image.
        score: y_target, the class's logit (before the softmax).
        probability: softmax(y)[target], in [0, 1].
        cam: (h, w) Grad-CAM at the layer's own resolution, >= 0, not normalised.
        heatmap: (S, S) the same upsampled to the input (bilinear), scaled to [0, 1] (all zeros if
            no location speaks for the class).
        saliency: (S, S) max over channels of |dy / dx|, scaled to [0, 1].
    """

    layer: str
    target: int
    top: int
    score: float
    probability: float
    cam: np.ndarray
    heatmap: np.ndarray
    saliency: np.ndarray


def conv_layers(model: AlexNet) -> dict[str, nn.Module]:
    """``{"conv1": block 1's activation (ReLU or tanh), ...}``: the module whose output Grad-CAM reads."""
    activation = model.config.activation  # the block's module is named after it: block.relu or block.tanh
    return {f"conv{i}": getattr(block, activation) for i, block in enumerate(model.features, start=1)}


def resolve_layer(model: AlexNet, layer: str | None) -> str:
    """The layer's name; ``None`` is the last convolution (the default of Grad-CAM).

    Raises:
        AlexNetError: no such conv layer in this network.
    """
    layers = list(conv_layers(model))
    if layer is None:
        return layers[-1]
    if layer not in layers:
        raise AlexNetError(
            f"Grad-CAM reads a convolutional layer, and this network has no layer {layer!r}.",
            fix=f"choose one of {', '.join(layers)}.",
        )
    return layer


def resolve_class(name: str | None, class_names: list[str] | None, num_classes: int) -> int | None:
    """The output index of a class given by name (or by number); ``None`` stays ``None`` (the top class).

    Raises:
        AlexNetError: the name is not one of the network's classes.
    """
    if name is None:
        return None
    names = class_names or [str(i) for i in range(num_classes)]
    lowered = [n.lower() for n in names]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    if name.isdigit() and int(name) < num_classes:
        return int(name)
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    raise AlexNetError(
        f"This network has no class called {name!r}.",
        fix=f"use one of its {num_classes} classes ({shown}) or a number from 0 to {num_classes - 1}.",
    )


def explain(model: AlexNet, batch: torch.Tensor, *, layer: str | None = None, target: int | None = None) -> Explanation:
    """Grad-CAM at ``layer`` and saliency for class ``target`` (default: the top prediction).

    Args:
        model: the network; its train/eval mode is restored afterwards (it runs in eval mode).
        batch: one preprocessed image, (1, C, S, S), on any device (moved to the model's).
        layer: "conv1" ... "convN"; ``None`` for the last one.
        target: an output index; ``None`` for the class the network scores highest.

    Raises:
        AlexNetError: an unknown layer or class.
    """
    from captum.attr import LayerAttribution, LayerGradCam, Saliency  # imported here: a second of import time

    name = resolve_layer(model, layer)
    device = next(model.parameters()).device
    inputs = batch.detach().to(device).float()  # (1, C, S, S)
    was_training = model.training
    model.eval()  # dropout off: the explanation is of the network's actual prediction
    try:
        with torch.enable_grad():
            logits = model(inputs)[0].detach().float()  # (num_classes,)
            top = int(logits.argmax())
            target = top if target is None else target
            if not 0 <= target < logits.numel():
                raise AlexNetError(
                    f"This network has {logits.numel()} classes, numbered 0 to {logits.numel() - 1}; "
                    f"there is no class {target}.",
                    fix="choose a class from the list.",
                )
            cam = LayerGradCam(model, conv_layers(model)[name]).attribute(inputs, target=target, relu_attributions=True)
            # (1, 1, h, w) -> (1, 1, S, S)
            upsampled = LayerAttribution.interpolate(cam, tuple(inputs.shape[-2:]), interpolate_mode="bilinear")
            pixels = inputs.clone().requires_grad_()  # Saliency differentiates with respect to the input
            grads = Saliency(model).attribute(pixels, target=target, abs=True)  # (1, C, S, S)
    finally:
        model.train(was_training)
    return Explanation(
        layer=name,
        target=target,
        top=top,
        score=float(logits[target]),
        probability=float(torch.softmax(logits, 0)[target]),
        cam=cam[0, 0].detach().cpu().numpy(),
        heatmap=_unit(upsampled[0, 0].detach().clamp_min(0).cpu().numpy()),
        saliency=_unit(grads[0].amax(0).detach().cpu().numpy()),
    )


def _unit(values: np.ndarray) -> np.ndarray:
    """Scale non-negative values to [0, 1] by their maximum (zeros stay zeros)."""
    values = np.asarray(values, dtype=np.float32)
    peak = float(values.max()) if values.size else 0.0
    return values / peak if peak > 0 else np.zeros_like(values)


def ink_box(image: np.ndarray, size: int) -> np.ndarray:
    """A boolean (size, size) mask of the bounding box of an image's nonzero pixels, on a size x size grid.

    ``image`` is (h, w) or (h, w, C), square (a digit: 8 x 8, white ink on black). Pixel rows
    r0..r1 and columns c0..c1 that hold ink cover [r0 * size / h, (r1 + 1) * size / h) on the
    resized grid, the same square a resize of the whole image maps them to.
    """
    ink = np.asarray(image)
    ink = ink.max(axis=-1) if ink.ndim == 3 else ink
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    mask = np.zeros((size, size), dtype=bool)
    if rows.size == 0:
        return mask
    height, width = ink.shape
    top, bottom = rows[0] * size // height, -(-(rows[-1] + 1) * size // height)
    left, right = cols[0] * size // width, -(-(cols[-1] + 1) * size // width)
    mask[top:bottom, left:right] = True
    return mask


def mass_inside(heatmap: np.ndarray, mask: np.ndarray) -> float:
    """The share of a non-negative map's total inside ``mask``: sum(map[mask]) / sum(map), 0 for an empty map."""
    total = float(heatmap.sum())
    return float(heatmap[mask].sum()) / total if total > 0 else 0.0


def heat_against_chance(heatmap: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(heat share, chance share): how much of the map lies inside ``mask``, and how much would by chance.

    The heat share is ``mass_inside``; the chance share is the mask's area over the image's,
    mean(mask), the share an evenly spread map puts inside. A map on the digit beats the chance share.
    """
    return mass_inside(heatmap, mask), float(np.asarray(mask, dtype=bool).mean())
