"""The learned prior over a VQ-VAE's codes: a small causal transformer over the code map in raster order.

A code map (N, H, W) is read as a sequence of H*W tokens, left to right and top
to bottom; the prior is the autoregressive factorisation
``p(c) = prod_t p(c_t | c_<t)``, each factor a softmax over the codebook computed
by a decoder-only transformer (pre-norm layers, learned position embeddings, a
start token in front) — the second stage of VQ-VAE with a transformer in place
of the paper's PixelCNN, as in VQGAN (Esser et al. 2021). Sampling draws the
tokens one by one from a seeded generator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CodePrior(nn.Module):
    """Autoregressive prior over sequences of ``length`` codes in ``0 .. codebook_size - 1``."""

    def __init__(self, codebook_size: int, length: int, dim: int, layers: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.codebook_size, self.length = codebook_size, length
        self.tokens = nn.Embedding(codebook_size + 1, dim)  # the last token is the start token
        self.positions = nn.Parameter(torch.zeros(length, dim))
        nn.init.normal_(self.positions, std=0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, codebook_size)
        self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(length), persistent=False)

    def logits(self, codes: torch.Tensor) -> torch.Tensor:
        """Logits (N, T, K) of each code given the codes before it, for sequences ``codes`` (N, T), T <= length."""
        t = codes.shape[1]
        start = torch.full((len(codes), 1), self.codebook_size, dtype=codes.dtype, device=codes.device)
        inputs = torch.cat([start, codes[:, :-1]], dim=1)
        h = self.tokens(inputs) + self.positions[:t]
        h = self.blocks(h, mask=self.causal_mask[:t, :t], is_causal=True)
        return self.head(self.norm(h))

    def nll(self, codes: torch.Tensor) -> torch.Tensor:
        """``-log p(codes)`` of each sequence (N,) in nats."""
        logits = self.logits(codes).float()
        return F.cross_entropy(logits.transpose(1, 2), codes, reduction="none").sum(1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None, temperature: float = 1.0) -> torch.Tensor:
        """``n`` sequences (n, length) drawn token by token (dropout off while sampling)."""
        was_training = self.training
        self.eval()
        device = self.positions.device
        codes = torch.zeros(n, 0, dtype=torch.long, device=device)
        try:
            for _ in range(self.length):
                # one more position than is known: its logits are those of the next code
                padded = torch.cat([codes, torch.zeros(n, 1, dtype=torch.long, device=device)], dim=1)
                probabilities = torch.softmax(self.logits(padded)[:, -1].float() / temperature, dim=-1)
                codes = torch.cat([codes, torch.multinomial(probabilities, 1, generator=generator)], dim=1)
        finally:
            self.train(was_training)
        return codes
