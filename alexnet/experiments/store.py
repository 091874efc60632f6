"""An experiment on disk, and its runs in the background: start, stop and resume them as one.

An experiment is one JSON file, ``<runs>/experiments/<id>.json``, beside the runs it owns::

    {"id", "claim", "title", "labels": [A, B], "networks": [A's, B's], "settings": TrainSettings,
     "seeds": [0, 1, 2], "runs": [[A's run id per seed], [B's ...]], "created_at"}

A run id is null until that run is started. The runs are ordinary runs of the runs folder
(``alexnet.runs``), queued one after another: they survive a page reload, a closed tab and a
server restart as any run does, and the Training page shows them too. The experiment's state is
read from its runs every time, never stored, so it cannot disagree with them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.experiments.claims import A_VS_B, Claim, a_vs_b, claim
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import layer_table
from alexnet.runs import trainer_process
from alexnet.training import run_folder
from alexnet.training.run_folder import resolve_run_dir
from alexnet.training.settings import TrainSettings

FOLDER = "experiments"  # inside the runs directory; it has no status.json, so it is never listed as a run
DEFAULT_SEEDS = 3


@dataclass(frozen=True)
class Experiment:
    """A planned or started experiment: two networks, one set of settings, N seeds each."""

    claim: str  # a name in alexnet.experiments.claims.CLAIMS, or "a-vs-b"
    title: str
    labels: tuple[str, str]
    networks: tuple[AlexNetConfig, AlexNetConfig]
    settings: TrainSettings  # every run's, but for its seed
    seeds: tuple[int, ...]
    run_ids: tuple[tuple[str | None, ...], tuple[str | None, ...]] = ((), ())
    id: str = ""
    created_at: float = 0.0

    @property
    def runs_count(self) -> int:
        return 2 * len(self.seeds)

    def slots(self) -> Iterator[tuple[int, int]]:
        """(variant, seed index) in the order the runs go: A and B of seed 0, then of seed 1...,
        so that a stopped experiment still compares the two on the seeds it finished."""
        for seed_index in range(len(self.seeds)):
            for variant in (0, 1):
                yield variant, seed_index

    def run_settings(self, seed_index: int) -> TrainSettings:
        return replace(self.settings, seed=self.seeds[seed_index])

    def the_claim(self) -> Claim:
        """The claim's measures and directions (for a-vs-b, made from this experiment's own networks)."""
        if self.claim == A_VS_B:
            return a_vs_b(self.networks[0], self.networks[1], self.labels[1])
        return claim(self.claim)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "claim": self.claim,
            "title": self.title,
            "labels": list(self.labels),
            "networks": [n.to_dict() for n in self.networks],
            "settings": asdict(self.settings),
            "seeds": list(self.seeds),
            "runs": [list(ids) for ids in self.run_ids],
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Experiment:
        """Read back ``to_dict``'s output.

        Raises:
            AlexNetError: not an experiment this version can read.
        """
        try:
            return cls(
                claim=str(data["claim"]),
                title=str(data["title"]),
                labels=(str(data["labels"][0]), str(data["labels"][1])),
                networks=(AlexNetConfig.from_dict(data["networks"][0]), AlexNetConfig.from_dict(data["networks"][1])),
                settings=TrainSettings.from_dict(data["settings"]),
                seeds=tuple(int(s) for s in data["seeds"]),
                run_ids=(tuple(data["runs"][0]), tuple(data["runs"][1])),
                id=str(data["id"]),
                created_at=float(data["created_at"]),
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise AlexNetError(f"This experiment file cannot be read ({type(exc).__name__}: {exc}).") from None


def plan(
    claim_name: str,
    network: AlexNetConfig,
    settings: TrainSettings,
    seeds: int = DEFAULT_SEEDS,
    *,
    other: tuple[AlexNetConfig, str] | None = None,
) -> Experiment:
    """The experiment ``claim_name`` on the learner's ``network`` and ``settings``, over seeds
    ``settings.seed``, ``settings.seed + 1``, ... (``seeds`` of them). ``other`` is B's network and
    name for "a-vs-b".

    Raises:
        AlexNetError: an unknown claim, fewer than one seed, or a variant that cannot work (the
            layer that fails, explained, with the variant named).
    """
    if seeds < 1:
        raise AlexNetError(
            f"An experiment needs at least one seed, not {seeds}.", fix="use 3 (2 is the fewest a verdict takes)."
        )
    if claim_name == A_VS_B:
        if other is None:
            raise AlexNetError("A vs B needs a second network.", fix="pick a preset or a saved configuration as B.")
        chosen = a_vs_b(network, *other)
    else:
        chosen = claim(claim_name)
    variants = chosen.make(network)
    for label, variant in zip(chosen.labels, variants, strict=True):
        try:
            layer_table(variant)
        except AlexNetError as exc:
            raise AlexNetError(
                f"The variant {label!r} of your network cannot work: {exc.message}", fix=exc.fix
            ) from None
    settings.check()
    return Experiment(
        claim=chosen.name,
        title=chosen.title,
        labels=chosen.labels,
        networks=variants,
        settings=settings,
        seeds=tuple(range(settings.seed, settings.seed + seeds)),
        run_ids=((None,) * seeds, (None,) * seeds),
    )


def experiments_dir(directory: str | Path | None = None) -> Path:
    return runs.runs_dir(directory) / FOLDER


def save(experiment: Experiment, directory: str | Path | None = None) -> Experiment:
    """Write ``experiment`` (a new one gets its id here: ``YYYYmmdd-HHMMSS-<claim>``)."""
    folder = experiments_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    if not experiment.id:
        experiment = replace(experiment, id=_new_id(folder, experiment.claim), created_at=time.time())
    run_folder.write_json(folder / f"{experiment.id}.json", experiment.to_dict())
    return experiment


def _new_id(folder: Path, claim_name: str) -> str:
    base, n = time.strftime("%Y%m%d-%H%M%S") + f"-{claim_name}", 1
    name = base
    while (folder / f"{name}.json").exists():
        n += 1
        name = f"{base}-{n}"
    return name


def load(experiment_id: str, directory: str | Path | None = None) -> Experiment:
    """The experiment ``experiment_id``.

    Raises:
        AlexNetError: not an experiment id, no such experiment, or a file that cannot be read.
    """
    folder = experiments_dir(directory)
    path = resolve_run_dir(experiment_id, folder).with_suffix(".json")  # an id never names a path out of it
    data = run_folder.read_json(path)
    if not isinstance(data, dict):
        raise AlexNetError(f"There is no experiment {experiment_id!r} in {folder}.", fix="pick one from the list.")
    return Experiment.from_dict(data)


def list_experiments(directory: str | Path | None = None) -> list[Experiment]:
    """Every experiment that can be read, newest first (a broken file is left out)."""
    folder = experiments_dir(directory)
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            found.append(load(path.stem, directory))
        except AlexNetError:
            continue
    return sorted(found, key=lambda e: (e.created_at, e.id), reverse=True)


def run_infos(experiment: Experiment, directory: str | Path | None = None) -> tuple[list[runs.RunInfo | None], ...]:
    """Each variant's runs, per seed, as the runs folder has them now (None: not started, or removed)."""

    return tuple([_info(run_id, directory) for run_id in ids] for ids in experiment.run_ids)


def _info(run_id: str | None, directory: str | Path | None) -> runs.RunInfo | None:
    if run_id is None:
        return None
    try:
        return runs.get_run(run_id, directory)
    except AlexNetError:  # removed by hand
        return None


def state(experiment: Experiment, infos: tuple[list[runs.RunInfo | None], ...]) -> str:
    """ "running" (a run trains or waits in the queue), "finished" (every run finished) or "stopped"."""
    every = [info for variant in infos for info in variant]
    if any(info is not None and info.state in ("running", "queued") for info in every):
        return "running"
    if every and all(info is not None and info.state == "finished" for info in every):
        return "finished"
    return "stopped"


def start(experiment: Experiment, directory: str | Path | None = None) -> Experiment:
    """Save ``experiment`` and put every run not yet started into the runs queue, in ``slots`` order.

    Raises:
        AlexNetError: a run cannot be started (the runs folder is not writable, the network would
            not fit in memory). The runs queued before it stay, and the experiment lists them.
    """
    experiment = save(experiment, directory)
    with _one_writer(directory):
        experiment = load(experiment.id, directory)  # another tab may have started some meanwhile
        for variant, seed_index in experiment.slots():
            if experiment.run_ids[variant][seed_index] is None:
                experiment = _start_one(experiment, variant, seed_index, directory)
    return experiment


def stop(experiment: Experiment, directory: str | Path | None = None) -> Experiment:
    """Stop the running run and take the rest out of the queue; ``resume`` carries on from there.

    A run that was only waiting is removed (it never trained), and its slot is free again.
    """
    with _one_writer(directory):
        experiment = load(experiment.id, directory)
        # the waiting runs first: a trainer that ends on the Stop starts the next one in the queue
        for variant, seed_index in experiment.slots():
            info = _info(experiment.run_ids[variant][seed_index], directory)
            cancelled = info is not None and info.state == "queued" and runs.cancel_queued(info.run_id, directory)
            if cancelled and not info.has_checkpoint:  # a queued resume goes back to stopped, and stays
                experiment = save(with_run(experiment, variant, seed_index, None), directory)
        for variant, seed_index in experiment.slots():
            info = _info(experiment.run_ids[variant][seed_index], directory)
            if info is not None and info.active:
                runs.stop_run(info.run_id, directory)
    return experiment


def resume(experiment: Experiment, directory: str | Path | None = None) -> Experiment:
    """Queue again what a stop left: stopped or interrupted runs from their checkpoints, and
    the runs never started. Finished runs stay; a failed or diverged run stays as it ended."""
    with _one_writer(directory):
        experiment = load(experiment.id, directory)
        for variant, seed_index in experiment.slots():
            info = _info(experiment.run_ids[variant][seed_index], directory)
            if info is None:  # never started, or its folder was removed by hand: run it (again)
                experiment = _start_one(experiment, variant, seed_index, directory)
            elif info.can_resume and info.state in ("stopped", "interrupted"):
                runs.resume_run(info.run_id, directory=directory)
    return experiment


def _start_one(experiment: Experiment, variant: int, seed_index: int, directory: str | Path | None) -> Experiment:
    """Queue one run of the experiment and record its id at once (a crash later still lists it)."""
    info = runs.start_run(experiment.networks[variant], experiment.run_settings(seed_index), directory=directory)
    return save(with_run(experiment, variant, seed_index, info.run_id), directory)


def with_run(experiment: Experiment, variant: int, seed_index: int, run_id: str | None) -> Experiment:
    ids = [list(experiment.run_ids[0]), list(experiment.run_ids[1])]
    ids[variant][seed_index] = run_id
    return replace(experiment, run_ids=(tuple(ids[0]), tuple(ids[1])))


def _one_writer(directory: str | Path | None) -> AbstractContextManager[None]:
    """Two tabs pressing Stop or Resume on one experiment take turns (the experiments folder's lock)."""
    return trainer_process.start_lock(experiments_dir(directory))
