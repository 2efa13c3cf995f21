"""TensorBoard logging (``tensorboard --logdir RUN_DIR``), only on the main process."""

from __future__ import annotations

from pathlib import Path

import torch


class Logger:
    """Scalars and images written to ``RUN_DIR/logs`` with TensorBoard's SummaryWriter."""

    def __init__(self, log_dir: Path, enabled: bool = True) -> None:
        self._writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(log_dir))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if self._writer:
            for key, value in values.items():
                self._writer.add_scalar(key, value, step)

    def image(self, tag: str, image01: torch.Tensor, step: int) -> None:
        if self._writer:
            self._writer.add_image(tag, image01, step)

    def flush(self) -> None:
        if self._writer:
            self._writer.flush()

    def close(self) -> None:
        if self._writer:
            self._writer.close()
            self._writer = None
