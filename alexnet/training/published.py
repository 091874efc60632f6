"""Where a run's test accuracy stands among published results on the same test set.

The rows are copied, with their numbers, from the benchmark table of Fashion-MNIST's README
(zalandoresearch/fashion-mnist, as Debian's ``dataset-fashion-mnist`` ships it in
``/usr/share/doc/dataset-fashion-mnist/README.md.gz``): nothing is fetched at run time. That table
says itself that its rows were submitted and not re-run by the authors; "test accuracy" is the
share of the 10,000 test images classified right.
"""

from __future__ import annotations

from dataclasses import dataclass

from alexnet.units import format_duration

SOURCE = (
    "Fashion-MNIST's README, benchmark table (github.com/zalandoresearch/fashion-mnist; "
    "/usr/share/doc/dataset-fashion-mnist/README.md.gz)"
)


@dataclass(frozen=True)
class PublishedResult:
    """One row of a published table: a method and its test accuracy in [0, 1]."""

    method: str
    accuracy: float
    preprocessing: str = "none"  # as the table says: augmentation changes what a row is worth


# A selection spanning the table, lowest first; "none" means no augmentation or normalisation.
FASHION_MNIST: tuple[PublishedResult, ...] = (
    PublishedResult("people without fashion expertise", 0.835, "1,000 sampled test images"),
    PublishedResult("MLP 256-128-100", 0.8833),
    PublishedResult("AlexNet with triplet loss", 0.899),
    PublishedResult("2 Conv+pooling, TensorFlow's tutorial", 0.916),
    PublishedResult("3 Conv+pooling+2 FC+dropout", 0.926),
    PublishedResult("VGG16, 26 M parameters", 0.935),
    PublishedResult("MobileNet", 0.950, "horizontal flips"),
    PublishedResult("WRN-28-10", 0.959, "mean/std, random crops and horizontal flips"),
)
TABLES = {"fashion-mnist": FASHION_MNIST}


def neighbours(
    accuracy: float, table: tuple[PublishedResult, ...]
) -> tuple[PublishedResult | None, PublishedResult | None]:
    """(the best row at or below ``accuracy``, the first row above it); ``None`` past either end."""
    below = [row for row in table if row.accuracy <= accuracy]
    above = [row for row in table if row.accuracy > accuracy]
    return (
        max(below, key=lambda r: r.accuracy) if below else None,
        min(above, key=lambda r: r.accuracy) if above else None,
    )


def placement(
    dataset: str,
    accuracy: float,
    *,
    test_images: int,
    parameters: int,
    epochs: float,
    seconds: float,
    train_share: tuple[int, int] | None = None,
) -> str | None:
    """One sentence placing a run among the published rows, or ``None`` for a dataset without a table:

    "Your network (0.43 M parameters, 5 epochs, 2 min 4 s): 91.4% on the 10,000 test images,
    above AlexNet with triplet loss (89.9%) and below 2 Conv+pooling, TensorFlow's tutorial (91.6%)."

    Args:
        accuracy: the run's share of the ``test_images`` test images classified right, in [0, 1].
        seconds: its training time, validation included.
        train_share: (images trained on, the training set's size) for a run that trained on a share
            (``alexnet.training.subset``): the published rows trained on every image, and the sentence says so.
    """
    table = TABLES.get(dataset)
    if table is None:
        return None
    below, above = neighbours(accuracy, table)
    where = " and ".join(
        part
        for part in (
            f"above {below.method} ({below.accuracy:.1%})" if below else "",
            f"below {above.method} ({above.accuracy:.1%})" if above else "",
        )
        if part
    )
    share = f", {train_share[0]:,} of the {train_share[1]:,} training images" if train_share else ""
    return (
        f"Your network ({parameters / 1e6:.2f} M parameters, {epochs:g} epochs{share}, {format_duration(seconds)}): "
        f"{accuracy:.1%} on the {test_images:,} test images, {where}."
    )


def rows_with(dataset: str, accuracy: float, label: str = "your network") -> list[dict[str, str]]:
    """The published rows with the run's own placed among them by accuracy, highest first, for a table.

    Each row: "method", "test accuracy" ("91.4%"), "preprocessing"; the run's row has "yours" set to "◀".
    """
    own = PublishedResult(label, accuracy, "as trained here")
    ordered = sorted((*TABLES.get(dataset, ()), own), key=lambda row: row.accuracy, reverse=True)
    return [
        {
            "method": row.method,
            "test accuracy": f"{row.accuracy:.1%}",
            "preprocessing": row.preprocessing,
            "yours": "◀" if row is own else "",
        }
        for row in ordered
    ]
