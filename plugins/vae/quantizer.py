"""Vector quantisation of the VQ-VAE (van den Oord, Vinyals & Kavukcuoglu 2017): a codebook, its EMA
updates and the restart of dead codes.

Each encoder output vector is replaced by its nearest codebook vector (squared
Euclidean distance); the decoder's gradient reaches the encoder through the
straight-through estimator ``z_e + (z_q - z_e).detach()``.

The codebook is learned one of two ways:

- **EMA** (``ema_decay`` > 0; the paper's appendix, Razavi et al. 2019): each code
  tracks the moving averages of the number ``N_i`` and the sum ``m_i`` of the
  vectors assigned to it, ``N_i <- d N_i + (1 - d) n_i`` and
  ``m_i <- d m_i + (1 - d) sum_j z_j``, and becomes ``m_i / N_i'`` with
  ``N_i'`` the counts Laplace-smoothed (``eps``) so that an unused code never
  divides by zero;
- **gradient** (``ema_decay`` = 0): the codebook is a parameter, trained by the
  codebook loss ``|sg(z_e) - z_q|^2``.

Either way the counts ``N_i`` are kept (they measure codebook usage; decay 0.99
for a codebook learned by gradient), and a
code whose count falls below ``restart_threshold`` vectors per batch is dead:
it is moved onto an encoder output of the current batch, drawn at random
(Dhariwal et al. 2020, Jukebox), with its statistics reset to that vector at
the threshold count. Codebook, counts and sums are buffers, saved with the
weights, and the random draws come from torch's generator, whose state the
Trainer saves, so a resumed run continues both exactly. Under
``torch.distributed`` the batch statistics are summed over processes and the
restarts are chosen on rank 0, so every process keeps the same codebook.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

#: Laplace smoothing of the EMA counts.
EPS = 1e-5
#: Decay of the usage counts of a codebook learned by gradient (with EMA, the EMA's decay).
USAGE_DECAY = 0.99


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


class VectorQuantizer(nn.Module):
    """``codebook_size`` codes of ``code_dim`` dimensions; inputs are maps (N, D, H, W)."""

    def __init__(self, codebook_size: int, code_dim: int, ema_decay: float, restart_threshold: float) -> None:
        super().__init__()
        self.ema_decay, self.restart_threshold = ema_decay, restart_threshold
        codebook = torch.randn(codebook_size, code_dim)
        if ema_decay > 0:
            self.register_buffer("codebook", codebook)
            self.register_buffer("code_sums", codebook.clone())
        else:
            self.codebook = nn.Parameter(codebook)
        self.register_buffer("code_counts", torch.ones(codebook_size))

    @property
    def size(self) -> int:
        return self.codebook.shape[0]

    @staticmethod
    def flat(z: torch.Tensor) -> torch.Tensor:
        """Maps (N, D, H, W) as vectors (N*H*W, D)."""
        return z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """The index of the nearest code of each vector of ``z`` (N, D, H, W): (N, H, W)."""
        vectors = self.flat(z.detach()).float()
        codebook = self.codebook.detach().float()
        distances = (vectors.square().sum(1, keepdim=True) - 2 * vectors @ codebook.t()
                     + codebook.square().sum(1))
        n, _, h, w = z.shape
        return distances.argmin(1).view(n, h, w)

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Code vectors of ``indices`` (N, H, W) as maps (N, D, H, W)."""
        return self.codebook[indices].permute(0, 3, 1, 2)

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z_q, straight-through z_q, indices)``: the nearest codes of ``z``, and the same values
        with the gradient of ``z`` (the decoder's gradient passes to the encoder unchanged)."""
        indices = self.nearest(z)
        z_q = self.lookup(indices).to(z.dtype)
        return z_q, z + (z_q - z).detach(), indices

    def usage(self, indices: torch.Tensor) -> torch.Tensor:
        """How often each code occurs in ``indices`` (this process's batch): (codebook_size,) int64, counted
        once per step for both :meth:`update` and the training log's ``gensynth.perplexity``."""
        return torch.bincount(indices.flatten(), minlength=self.size)

    @torch.no_grad()
    def update(self, z: torch.Tensor, indices: torch.Tensor, usage: torch.Tensor) -> torch.Tensor:
        """One training step's codebook statistics from encoder outputs ``z`` (N, D, H, W), their codes and
        the codes' :meth:`usage`: the moving-average counts (and, with EMA, sums and codebook), then the
        restart of dead codes, whose indices it returns."""
        vectors = self.flat(z).float()
        one_hot = torch.nn.functional.one_hot(indices.flatten(), self.size).float()
        counts, sums = usage.float(), one_hot.t() @ vectors  # a new tensor: the reduction below leaves usage be
        if _distributed():
            dist.all_reduce(counts)
            dist.all_reduce(sums)
        decay = self.ema_decay or USAGE_DECAY
        self.code_counts.mul_(decay).add_(counts, alpha=1 - decay)
        if self.ema_decay > 0:
            self.code_sums.mul_(decay).add_(sums, alpha=1 - decay)
            total = self.code_counts.sum()
            smoothed = (self.code_counts + EPS) / (total + self.size * EPS) * total
            self.codebook.copy_(self.code_sums / smoothed.unsqueeze(1))
        return self.restart_dead(vectors)

    @torch.no_grad()
    def restart_dead(self, vectors: torch.Tensor) -> torch.Tensor:
        """Move every dead code onto a random vector of ``vectors`` (M, D); returns the dead codes' indices."""
        if not self.restart_threshold:
            return torch.zeros(0, dtype=torch.long)
        dead = (self.code_counts < self.restart_threshold).nonzero().flatten()  # the same on every process
        if not len(dead):
            return dead
        chosen = vectors[torch.randint(len(vectors), (len(dead),), device=vectors.device)]
        if _distributed():  # rank 0's batch and draws
            dist.broadcast(chosen, 0)
        codebook = self.codebook.data if isinstance(self.codebook, nn.Parameter) else self.codebook
        codebook[dead] = chosen.to(codebook.dtype)
        self.code_counts[dead] = self.restart_threshold
        if self.ema_decay > 0:
            self.code_sums[dead] = chosen * self.restart_threshold
        return dead

