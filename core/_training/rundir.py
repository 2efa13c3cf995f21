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

A checkpoint folder is written under a temporary name and renamed into place,
so a kill at any moment leaves the previous checkpoints intact.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gensynth._training.atomic import publish_dir_atomic, write_atomic, write_json_atomic
from gensynth._training.layout import CONFIG, STATE_JSON, STATE_TENSORS, STATUS, STEP_DIR, WEIGHTS
from gensynth._errors import GensynthError
from gensynth._training.state import join_state, split_state



def state_dict_for_saving(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


def save_weights(module: torch.nn.Module, path: Path, metadata: dict[str, str] | None = None) -> None:
    tensors = state_dict_for_saving(module)
    write_atomic(path, lambda p: save_file(tensors, str(p), metadata=metadata or {}))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise GensynthError(f"weights file {path} is missing; the run has no saved model yet")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise GensynthError(f"weights file {path} is corrupt or unreadable ({exc}); restore it from a checkpoint folder") from None


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise GensynthError(f"{what} {path} is missing") from None
    except OSError as exc:
        raise GensynthError(f"cannot read {what} {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GensynthError(f"{what} {path} is corrupt ({exc})") from None


def new_run_dir(root: str | Path, name: str) -> Path:
    """A new, empty folder ``root/<name>-<n>`` with the smallest ``n >= 1`` not taken, created now
    (``mkdir`` is atomic, so two trainings started at once never get the same folder)."""
    root = Path(root)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
    taken = [int(m.group(1)) for child in (root.iterdir() if root.is_dir() else [])
             if (m := re.fullmatch(re.escape(stem) + r"-(\d+)", child.name))]
    number = max(taken, default=0) + 1
    while True:
        path = root / f"{stem}-{number}"
        try:
            path.mkdir(parents=True)
            return path
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
        model = config.get("model") if isinstance(config, dict) else None
        if not (isinstance(model, dict) and isinstance(model.get("id"), str) and isinstance(config.get("data", {}), dict)):
            raise GensynthError(f"run config {self.config_path} has no valid 'model' entry; it was not written by gensynth")
        return config

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.config_path, config)

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
        """Write weights and training state for ``step`` atomically; keep the newest ``keep``."""
        self.checkpoints_dir.mkdir(parents=True, exist_ok=True)
        for stale in [*self.checkpoints_dir.glob(".step-*.tmp"), *self.checkpoints_dir.glob(".step-*.old")]:
            shutil.rmtree(stale, ignore_errors=True)
        final = self.checkpoints_dir / f"step-{step:08d}"
        tmp = self.checkpoints_dir / f".step-{step:08d}.tmp"
        tmp.mkdir()
        weights = state_dict_for_saving(model)
        save_file(weights, str(tmp / WEIGHTS), metadata=metadata)
        tree, tensors = split_state(state, "state")
        save_file(tensors, str(tmp / STATE_TENSORS))
        (tmp / STATE_JSON).write_text(json.dumps(tree))
        publish_dir_atomic(tmp, final)
        write_atomic(self.weights_path, lambda p: shutil.copyfile(final / WEIGHTS, p))
        for _, old in self.checkpoints()[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def load_checkpoint(self, folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Weights and training state of a checkpoint folder."""
        weights = load_weights(folder / WEIGHTS)
        try:
            tensors = load_file(str(folder / STATE_TENSORS))
        except (SafetensorError, OSError, ValueError) as exc:
            raise GensynthError(f"checkpoint {folder} is corrupt ({exc}); delete that folder to resume from the previous one") from None
        tree = read_json(folder / STATE_JSON, "checkpoint state")
        return weights, join_state(tree, tensors)
