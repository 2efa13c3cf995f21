"""Data-parallel training: one DistributedDataParallel per optimizer, for any model.

The Trainer knows no model family, so it cannot make a model's code call
DDP-wrapped networks. It does not need to. DDP averages, during ``backward``,
the gradients of the parameters of the module it wraps, whatever code computed
the loss, provided the loss was computed inside that module's ``forward``. So
for each optimizer the Trainer builds a :class:`TrainedBy` module holding what
that optimizer trains (the model's own submodules, not copies), whose
``forward`` *is* the phase's loss function, and wraps it in DDP. A phase is
then one DDP forward (its whole loss, however many network calls it makes)
and one backward, during which DDP's buckets all-reduce the gradients as they
become ready, as with any DDP model.

The model itself is untouched: its submodules, state-dict keys and checkpoints
are those of a single process, and built-in and third-party models need no
change. The phase is also the unit that DDP's rules are about:

* several forwards through one network before one backward (a GAN's
  discriminator on real and on fake images) are one DDP forward;
* R1 and the gradient penalty differentiate with ``autograd.grad(create_graph=True)``
  with respect to the *inputs* inside the forward; parameter gradients accumulate
  once, in the phase's backward, where DDP reduces them;
* parameters a phase leaves unused (R1 never reaches a discriminator's last bias,
  the phases of one optimizer that run every k steps) are handled by
  ``find_unused_parameters``;
* networks a loss only backpropagates through (the discriminator in a GAN's
  generator phase) get local gradients exactly as in a single process; their own
  optimizer zeroes them before its phase.

Buffers are not broadcast at every forward (spectral-norm vectors evolve
identically in every process because the weights are identical; BatchNorm
statistics are per process on CPU). :func:`synchronize` makes every process's
copy of the model the same before rank 0 previews, evaluates or saves it.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import torch
from torch import nn

from gensynth._errors import GensynthError
from gensynth._models.model import Batch, Model, Phase
from gensynth._training.runtime import Runtime


class TrainedBy(nn.Module):
    """What one optimizer trains, as one module DDP can wrap: the model's submodules whose parameters it
    trains wholly, plus the parameters it trains outside them. ``forward(loss, batch, scratch)`` runs a
    phase's loss. Holding the model's submodules adds no state to the model."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, name: str, device: torch.device) -> None:
        super().__init__()
        params = [p for group in optimizer.param_groups for p in group["params"]]
        stray = [p for p in params if not isinstance(p, nn.Parameter)]
        if stray:
            raise GensynthError(f"optimizer {name!r} trains a tensor that is not an nn.Parameter; data-parallel "
                                "training averages the gradients of the model's parameters, so register it on the "
                                "model (nn.Parameter) or train with one process")
        trained = {id(p) for p in params}
        networks: list[nn.Module] = []
        loose: list[nn.Parameter] = []

        def visit(module: nn.Module) -> None:
            own = list(module.parameters())
            if own and all(id(p) in trained for p in own):
                networks.append(module)
                return
            loose.extend(p for p in module.parameters(recurse=False) if id(p) in trained)
            for child in module.children():
                visit(child)

        visit(model)
        covered = {id(p) for network in networks for p in network.parameters()} | {id(p) for p in loose}
        loose.extend(p for p in params if id(p) not in covered)
        self.networks = nn.ModuleList(networks)
        self.loose = nn.ParameterList(loose)
        # Used by no phase: DDP's search for unused parameters, which phases such as R1 need, then always
        # finds one, and does not warn (once per process) that the search was unnecessary in phases that use all.
        self.sentinel = nn.Parameter(torch.zeros((), device=device))

    def forward(self, loss: Any, batch: Batch, scratch: dict) -> Any:
        return loss(batch, scratch)


def _wrap(module: nn.Module) -> nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    # No device_ids: the batch is already on the device, and DDP would otherwise copy the inputs,
    # scratch included, so that what a phase leaves in scratch for the next would be lost.
    options: dict[str, Any] = {"find_unused_parameters": True}
    # Buffers are made the same by synchronize() where it matters, not broadcast at every forward.
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters:
        options["forward_sync_buffers"] = False
    else:  # torch before forward_sync_buffers
        options["broadcast_buffers"] = False
    return DistributedDataParallel(module, **options)


class DataParallel:
    """Runs the phases' losses: directly in a single process, through one DDP per optimizer with several.

    Build it in every process at the same point (DDP's constructor broadcasts rank 0's parameters)."""

    def __init__(self, model: Model, optimizers: Mapping[str, torch.optim.Optimizer], runtime: Runtime) -> None:
        self.wrapped: dict[str, nn.Module] = {}
        if runtime.distributed:
            self.wrapped = {name: _wrap(TrainedBy(model, optimizer, name, runtime.device))
                            for name, optimizer in optimizers.items()}

    def loss(self, phase: Phase, batch: Batch, scratch: dict) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        wrapped = self.wrapped.get(phase.optimizer)
        if wrapped is None:
            return phase.loss(batch, scratch)
        return wrapped(phase.loss, batch, scratch)


def synchronize(model: Model, runtime: Runtime, step: int) -> None:
    """Make every process's copy of ``model`` the same (in every process, before rank 0 reads the model).

    The model averages the statistics it keeps (:meth:`Model.sync_statistics`: BatchNorm's running
    statistics by default), every buffer is then set to rank 0's, and the parameters, which the
    optimizers keep identical, are checked to be: a difference raises a GensynthError in every process.
    """
    if not runtime.distributed:
        return
    with torch.no_grad():
        model.sync_statistics(runtime.average_)
        for buffer in model.buffers():
            buffer.copy_(runtime.broadcast_(buffer.clone(memory_format=torch.contiguous_format)))
        named = list(model.named_parameters())
        differs = torch.zeros(len(named), device=runtime.device)
        for index, (_, param) in enumerate(named):
            reference = runtime.broadcast_(param.clone(memory_format=torch.contiguous_format))
            differs[index] = float(not torch.equal(reference, param))
        runtime.average_(differs)
    bad = differs.nonzero().flatten().tolist()
    if bad:
        raise GensynthError(
            f"parameter {named[bad[0]][0]} differs between the processes at step {step}: something changed weights "
            "outside the optimizers with per-process data (the model's end_iteration?); training stopped and the last "
            "checkpoint is untouched"
        )
