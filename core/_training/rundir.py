"""The run directory: self-describing, written atomically.

::

    RUN_DIR/
      config.json              model id, plugin and gensynth versions, model config,
                               training options, data spec
      model.safetensors        latest weights (what ``gensynth sample`` loads)
      checkpoints/step-00000500/
        model.safetensors      weights at that step
        state.safetensors      tensors of the training state (optimizers, RNG, ...)
        state.json             the rest of the training state, with tensor references
      samples/step-00000500.png  fixed-noise sample grids
      logs/                    TensorBoard event files
      eval/                    evaluation reports (during training: step-00000500.json)
      status.json              running / completed / interrupted / failed, step, process, times

      .lock                    the owner's pid and host while a process writes the run (see lock.py)

A checkpoint folder is written under a temporary name and renamed into place,
so a kill at any moment leaves the previous checkpoints intact; the next start
removes what a killed writer left half-written (:meth:`RunDir.clean_stale`).

Reading the run's files needs no torch (``gensynth train`` checks a resume
before torch loads); the weights and checkpoints import it when used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gensynth._errors import GensynthError
from gensynth._naming import option
from gensynth._training.atomic import publish_dir_atomic, stale_temporaries, write_atomic, write_json_atomic
from gensynth._training.layout import CONFIG, STATE_JSON, STATE_TENSORS, STATUS, STEP_DIR, WEIGHTS
from gensynth._training.lock import LOCK_NAME, missing_folders

if TYPE_CHECKING:
    import torch

OWNED_FOLDERS = ("checkpoints", "samples", "logs", "eval")
"""The run's folders, which only training writes (``gensynth evaluate`` adds reports to ``eval``)."""
_ASIDE_DIR = re.compile(r"^\.(step-\d+)\.old$")
_STATE_ENTRIES = {"step": int, "optimizers": dict, "schedulers": dict, "rng": dict, "data": dict}
_CONFIG_ENTRIES = {"model": dict, "training": dict, "data": dict}


def state_dict_for_saving(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def save_weights(module: torch.nn.Module, path: Path, metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save_file

    tensors = state_dict_for_saving(module)
    write_atomic(path, lambda p: save_file(tensors, str(p), metadata=metadata or {}))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise GensynthError(f"weights file {path} is missing; the run has no saved model yet")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise GensynthError(f"weights file {path} is corrupt or unreadable ({exc}); restore it from a checkpoint folder") from None


def fit_weights(module: torch.nn.Module, weights: dict[str, torch.Tensor], source: str, remedy: str) -> None:
    """Load ``weights`` into ``module`` after checking that every tensor is there with its shape;
    otherwise a one-line GensynthError naming the first tensor that differs."""
    expected = module.state_dict()
    problem = ""
    for name, tensor in expected.items():
        if name not in weights:
            problem = f"it has no tensor {name!r}"
        elif tuple(weights[name].shape) != tuple(tensor.shape):
            problem = (f"tensor {name!r} is {_shape(weights[name])} there and {_shape(tensor)} in this model")
        if problem:
            break
    else:
        extra = sorted(set(weights) - set(expected))
        problem = f"it has a tensor {extra[0]!r} this model does not have" if extra else ""
    if problem:
        raise GensynthError(f"{source} belongs to another model configuration: {problem}; {remedy}")
    module.load_state_dict(weights)


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "a scalar"


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise GensynthError(f"{what} {path} is missing") from None
    except OSError as exc:
        raise GensynthError(f"cannot read {what} {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GensynthError(f"{what} {path} is corrupt ({exc})") from None


def new_run_dir(root: str | Path, name: str) -> tuple[Path, list[Path]]:
    """A new, empty folder ``root/<name>-<n>``, ``n`` one above the largest taken (1 in an empty folder; a
    deleted run's number is not reused), created now
    (``mkdir`` is atomic, so two trainings started at once never get the same folder); with the folders
    created for it, deepest first (it, and ``root`` and its parents where missing), for
    :class:`~gensynth._training.lock.RunLock` to remove should the start be refused."""
    root = Path(root)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
    taken = [int(m.group(1)) for child in (root.iterdir() if root.is_dir() else [])
             if (m := re.fullmatch(re.escape(stem) + r"-(\d+)", child.name))]
    number = max(taken, default=0) + 1
    parents = missing_folders(root)
    while True:
        path = root / f"{stem}-{number}"
        try:
            path.mkdir(parents=True)
            return path, [path, *parents]
        except FileExistsError:
            number += 1


class RunDir:
    """Paths and reads/writes of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def weights_path(self) -> Path:
        return self.path / WEIGHTS

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def status_path(self) -> Path:
        return self.path / STATUS

    def exists(self) -> bool:
        return self.config_path.is_file()

    def read_config(self) -> dict[str, Any]:
        if not self.path.is_dir():
            raise GensynthError(f"run directory {self.path} does not exist; train one with `gensynth train MODEL --out {self.path}`")
        if not self.config_path.is_file():
            raise GensynthError(f"{self.path} is not a gensynth run (no {CONFIG}); pass the --out folder of `gensynth train`")
        config = read_json(self.config_path, "run config")
        if not isinstance(config, dict):
            raise GensynthError(f"run config {self.config_path} is not a JSON object; it was not written by gensynth")
        for entry, kind in _CONFIG_ENTRIES.items():
            if entry in config and not isinstance(config[entry], kind):
                raise GensynthError(f"run config {self.config_path} has a damaged {entry!r} entry "
                                    f"({type(config[entry]).__name__} instead of an object); restore the file")
        model = config.get("model")
        if not (isinstance(model, dict) and isinstance(model.get("id"), str)
                and isinstance(model.get("config", {}), dict)):
            raise GensynthError(f"run config {self.config_path} has no valid 'model' entry (an object with the model's "
                                f"id and config); it was not written by gensynth or is damaged")
        info = config.get("data", {}).get("info", {})
        facts = [info, *(value for value in info.values() if isinstance(value, dict))] if isinstance(info, dict) else []
        counts = [f["num_classes"] for f in facts if f.get("num_classes") is not None]
        if not isinstance(info, dict) or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in counts):
            raise GensynthError(f"run config {self.config_path} has a damaged 'data.info' entry (the facts of the "
                                f"training data); restore the file")
        return config

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.config_path, config)

    # -- ownership -----------------------------------------------------------------

    def check_start(self, resume: bool, steps: int | None = None, batch_size: int | None = None,
                    seed: int | None = None) -> tuple[int, Path] | None:
        """Refuse to train here when it would overwrite saved work or, resumed to ``steps``, train nothing or
        with another ``batch_size`` or ``seed``; return the checkpoint (step, folder) a resumed run continues
        from (None: training starts at step 0).

        A new run needs a folder without a run in it; a resumed one needs its
        ``config.json`` and, when weights were saved, a checkpoint to continue
        from, at a step below ``steps`` (None: not known yet), trained with the
        same batch size and seed (None: not compared here; see
        :meth:`check_batch_size_and_seed`). ``--resume`` on an empty or missing
        folder starts a new run. The checkpoints are scanned once; nothing here needs torch.
        """
        checkpoints = self.checkpoints()
        has_config, has_weights, has_checkpoints = self.exists(), self.weights_path.is_file(), bool(checkpoints)
        if not resume:
            if has_config or has_weights or has_checkpoints:
                raise GensynthError(f"{self.path} already holds a run; pass {option('resume', True)} to continue it "
                                    f"or choose another {option('out')} folder")
        elif not has_config and (has_weights or has_checkpoints):
            raise GensynthError(f"{self.path} has saved weights but no {CONFIG}, so it cannot be resumed safely; "
                                f"restore its {CONFIG} or choose another {option('out')} folder")
        elif has_weights and not has_checkpoints:
            raise GensynthError(f"{self.path} holds saved weights but no checkpoint to resume from, and training would "
                                f"overwrite them; choose another {option('out')} folder")
        latest = checkpoints[-1] if resume and checkpoints else None
        check_not_finished(latest, steps)
        if latest is not None and (batch_size is not None or seed is not None):
            self.check_batch_size_and_seed(latest, batch_size, seed)
        return latest

    def check_batch_size_and_seed(self, checkpoint: tuple[int, Path], batch_size: int | None,
                                  seed: int | None) -> None:
        """Refuse to continue from ``checkpoint`` (step, folder) with another ``batch_size`` or ``seed`` (None: not
        compared) than it was trained with, naming what differs. Reads the checkpoint's ``state.json``, not torch."""
        folder = checkpoint[1]
        trained = self.read_state(folder)["data"]
        asked = {"batch_size": batch_size, "seed": seed}
        differing = [name for name, value in asked.items() if value is not None and trained.get(name, value) != value]
        if differing:
            recorded = ", ".join(f"{option(name, trained[name])}" for name in differing)
            raise GensynthError(f"cannot resume with another {' or '.join(n.replace('_', ' ') for n in differing)}: "
                                f"checkpoint {folder.name} was trained with {recorded}; drop "
                                f"{'/'.join(option(n) for n in differing)} or start a new run")

    def owns(self, path: str | Path) -> bool:
        """Whether ``path`` is a file training writes: config, weights, lock, or anything in the run's folders."""
        try:
            parts = Path(os.path.realpath(path)).relative_to(os.path.realpath(self.path)).parts
        except ValueError:
            return False
        return bool(parts) and (parts[0] in (CONFIG, WEIGHTS, LOCK_NAME) or parts[0] in OWNED_FOLDERS)

    def check_output(self, path: str | Path, given: str) -> None:
        """Refuse an output ``path`` (given as ``given``, e.g. ``-o grid.png``) among the run's own files."""
        if self.owns(path):
            raise GensynthError(f"{given} is inside the run's own files (config, weights, checkpoints, samples, logs, "
                                f"eval) and would overwrite them; choose another path")

    def clean_stale(self) -> list[Path]:
        """Remove what writers killed mid-write left here; put back a checkpoint a kill left moved aside.

        Called by the run's owner when it starts, so nothing else writes these names.
        """
        removed = [*stale_temporaries(self.path), *stale_temporaries(self.samples_dir),
                   *stale_temporaries(self.path / "eval", "step-*")]
        for path in removed:
            path.unlink(missing_ok=True)
        if self.checkpoints_dir.is_dir():
            for child in sorted(self.checkpoints_dir.iterdir()):
                aside = _ASIDE_DIR.match(child.name)
                if aside and not (self.checkpoints_dir / aside[1]).exists():
                    os.replace(child, self.checkpoints_dir / aside[1])  # a complete checkpoint, moved aside for its successor
                elif aside or (child.name.startswith(".step-") and child.name.endswith(".tmp")):
                    shutil.rmtree(child, ignore_errors=True)
                    removed.append(child)
        return removed

    # -- checkpoints -----------------------------------------------------------

    def checkpoints(self) -> list[tuple[int, Path]]:
        """Complete checkpoints as (step, folder), oldest first."""
        if not self.checkpoints_dir.is_dir():
            return []
        found = []
        for child in self.checkpoints_dir.iterdir():
            match = STEP_DIR.match(child.name)
            if match and child.is_dir():
                found.append((int(match.group(1)), child))
        return sorted(found)

    def latest_checkpoint(self) -> tuple[int, Path] | None:
        found = self.checkpoints()
        return found[-1] if found else None

    def save_checkpoint(
        self, step: int, model: torch.nn.Module, state: dict[str, Any], metadata: dict[str, str], keep: int
    ) -> Path:
        """Write weights and training state for ``step`` atomically; keep the newest ``keep`` (0: all)."""
        from safetensors.torch import save_file

        from gensynth._training.state import split_state

        self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
        final = self.checkpoints_dir / f"step-{step:08d}"
        tmp = self.checkpoints_dir / f".step-{step:08d}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)  # left by a save of this process that failed
        tmp.mkdir()
        weights = state_dict_for_saving(model)
        save_file(weights, str(tmp / WEIGHTS), metadata=metadata)
        tree, tensors = split_state(state, "state")
        save_file(tensors, str(tmp / STATE_TENSORS))
        (tmp / STATE_JSON).write_text(json.dumps(tree))
        # The weights first: a kill between the two leaves model.safetensors one checkpoint ahead (a resume
        # retrains that step and rewrites it), never behind a finished run's last checkpoint.
        write_atomic(self.weights_path, lambda p: shutil.copyfile(tmp / WEIGHTS, p))
        publish_dir_atomic(tmp, final)
        for _, old in self.checkpoints()[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def load_checkpoint(self, folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Weights and training state of a checkpoint folder; a one-line GensynthError when it is damaged."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from gensynth._training.state import join_state

        weights = load_weights(folder / WEIGHTS)
        try:
            tensors = load_file(str(folder / STATE_TENSORS))
        except (SafetensorError, OSError, ValueError) as exc:
            raise GensynthError(f"{_damaged(folder)} ({exc}); {_DAMAGED_REMEDY}") from None
        tree = self.read_state(folder)
        try:
            return weights, join_state(tree, tensors)
        except (KeyError, TypeError, ValueError) as exc:
            raise GensynthError(f"{_damaged(folder)} ({STATE_JSON} does not match {STATE_TENSORS}: {exc}); "
                                f"{_DAMAGED_REMEDY}") from None

    @staticmethod
    def read_state(folder: Path) -> dict[str, Any]:
        """The JSON tree of a checkpoint folder's ``state.json`` (tensor references unresolved), checked; a one-line
        GensynthError when it is damaged. Needs no torch."""
        tree = read_json(folder / STATE_JSON, "checkpoint state")
        problem = state_problem(tree)
        if problem:
            raise GensynthError(f"{_damaged(folder)} ({STATE_JSON} {problem}); {_DAMAGED_REMEDY}")
        return tree


_DAMAGED_REMEDY = "delete that folder to resume from the previous one"


def _damaged(folder: Path) -> str:
    return f"checkpoint {folder} is damaged"


def check_not_finished(latest: tuple[int, Path] | None, steps: int | None) -> None:
    """Refuse to resume from checkpoint ``latest`` (step, folder; None: none) to ``steps`` (None: not known yet)
    when the run is there already."""
    if latest is not None and steps is not None and latest[0] >= steps:
        raise GensynthError(f"the run is already at step {latest[0]} of {steps}; pass a larger "
                            f"{option('steps')} to continue")


def state_problem(tree: Any) -> str:
    """What is wrong with a checkpoint's ``state.json`` tree (``"has no 'rng'"``), or ``""``."""
    if not isinstance(tree, dict):
        return f"holds {type(tree).__name__} instead of an object"
    for entry, kind in _STATE_ENTRIES.items():
        if entry not in tree:
            return f"has no {entry!r}"
        if not isinstance(tree[entry], kind) or isinstance(tree[entry], bool):
            return f"has a damaged {entry!r}"
    missing = [name for name in ("python", "numpy", "torch") if name not in tree["rng"]]
    return f"has no {missing[0]!r} random state" if missing else ""
