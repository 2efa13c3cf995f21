"""Adaptive discriminator augmentation (ADA; Karras, Aittala, Hellsten, Laine, Lehtinen & Aila 2020).

Every operation of the policy transforms each image with probability ``p``, drawn independently per image
and per operation, and ``p`` follows the overfitting heuristic r_t = E[sign(D(x_real))] on the augmented
real images of the discriminator steps: every ``interval`` steps, ``p`` moves by
``sign(r_t - target) * images / (speed_kimg * 1000)`` (images seen in those steps), clamped to [0, 1], so it
can go from 0 to 1 in ``speed_kimg`` thousand images. ``target=None`` keeps ``p`` fixed (ADA's "fixed p").

The operations, as in the paper's pipeline (its appendix B; stylegan2-ada-pytorch's ``augment.py``):

===============  ===========================================================================================
``xflip``        horizontal flip, probability 1/2 when chosen
``rotate90``     rotation by a uniform multiple of 90 degrees
``xint``         integer translation, uniform up to 1/8 of the side in each direction
``scale``        isotropic scaling by 2^N(0, 0.2²)
``rotate``       rotation by a uniform angle, applied before and after ``aniso`` with probability
                 1 - sqrt(1 - p) each, so that some rotation happens with probability p
``aniso``        anisotropic scaling by 2^N(0, 0.2²) along x and its inverse along y
``xfrac``        fractional translation by N(0, 0.125²) of the side in each direction
``brightness``   adds N(0, 0.2²)
``contrast``     multiplies by 2^N(0, 0.5²)
``lumaflip``     reflects the colour along the luma axis (inverts a grey image), probability 1/2
``hue``          rotates the colour around the luma axis by a uniform angle (RGB only)
``saturation``   scales the colour off the luma axis by 2^N(0, 1) (RGB only)
``cutout``       zeroes a square of half the side, centred uniformly (the paper's "c", off in "bgc")
===============  ===========================================================================================

Groups: ``blit`` = xflip, rotate90, xint; ``geom`` = scale, rotate, aniso, xfrac; ``color`` = brightness,
contrast, lumaflip, hue, saturation. The default, ``blit,geom,color``, is the paper's "bgc". The geometric
operations are composed into one affine map per image and applied in one bilinear resampling with
reflection padding; the paper resamples at twice the resolution with a wavelet filter, and its image-space
filtering ("f") and additive noise ("n") groups are not implemented here. Colour operations are composed
into one 4x4 matrix per image, as in the reference. Images that no operation chose are passed through
untouched, and at ``p = 0`` the augmentation is exactly the identity.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch
import torch.nn.functional as F

from gensynth import Augmentation
from gensynth.plugins.gan.augment_ops import cutout, gate, parse_policy

GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac")
COLOUR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
OPERATIONS = (*GEOMETRIC, *COLOUR, "cutout")
GROUPS = {"blit": ("xflip", "rotate90", "xint"), "geom": ("scale", "rotate", "aniso", "xfrac"), "color": COLOUR}
DEFAULT_POLICY = "blit,geom,color"

#: Strength of each operation (stylegan2-ada-pytorch's defaults).
XINT_MAX, SCALE_STD, ANISO_STD, XFRAC_STD = 0.125, 0.2, 0.2, 0.125
BRIGHTNESS_STD, CONTRAST_STD, SATURATION_STD = 0.2, 0.5, 1.0


def all_reduce_sum(stats: torch.Tensor) -> torch.Tensor:
    """``stats`` summed over the processes of a distributed run (itself in a single process): ADA's
    statistics count the images of every rank, so that every rank computes the same ``p``.

    A model has no handle on gensynth's Runtime, so this uses ``torch.distributed``'s default group
    (the one the Runtime joins under torchrun); every process observes at the same steps."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        stats = stats.clone()
        torch.distributed.all_reduce(stats)
    return stats


class ADA(Augmentation):
    """The state (``p``, the last ``rt``, and this process's sums since the last adjustment) is
    training state, not weights: :meth:`training_state`."""

    def __init__(self, policy: str = "", p: float | None = None, target: float | None = 0.6, interval: int = 4,
                 speed_kimg: float = 500.0) -> None:
        super().__init__()
        self.operations = parse_policy(policy, "ada", OPERATIONS, GROUPS, DEFAULT_POLICY)
        self.target, self.interval, self.speed_images = target, int(interval), float(speed_kimg) * 1000
        self.p = 0.0 if p is None else float(p)
        self.rt = 0.0
        self.steps = 0  # discriminator steps observed since the last adjustment
        self.signs: torch.Tensor | None = None  # (sum of sign(D(real)), number of images) since then, on the logits' device

    def extra_repr(self) -> str:
        return f"policy={','.join(self.operations)}, target={self.target}, interval={self.interval}"

    # -- adapting p --------------------------------------------------------------------

    def observe(self, real_logits: torch.Tensor) -> None:
        if self.target is None:
            return
        judged = real_logits.detach().float().sign()  # float32: bf16 sums of signs are inexact past 256
        observed = torch.stack([judged.sum(), judged.new_tensor(judged.numel())])
        self.signs = observed if self.signs is None else self.signs.to(observed.device) + observed
        self.steps += 1
        if self.steps < self.interval:
            return
        signs, images = all_reduce_sum(self.signs).tolist()  # the one place the processes' statistics meet
        self.rt = signs / images
        step = (self.rt > self.target) - (self.rt < self.target)
        self.p = min(max(self.p + step * images / self.speed_images, 0.0), 1.0)
        self.signs, self.steps = None, 0

    def logs(self) -> dict[str, torch.Tensor]:
        logs = {"augment/p": torch.tensor(self.p)}
        if self.target is not None:
            logs["augment/rt"] = torch.tensor(self.rt)
        return logs

    def training_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"p": self.p, "rt": self.rt, "steps": self.steps}
        if self.signs is not None:
            state["signs"] = self.signs.detach().cpu().clone()
        return state

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        self.p, self.rt, self.steps = float(state["p"]), float(state["rt"]), int(state["steps"])
        self.signs = state.get("signs")  # on the CPU; observe moves it to the logits' device

    # -- the pipeline --------------------------------------------------------------------

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        p = self.p
        if p == 0:
            return images
        if any(op in GEOMETRIC for op in self.operations):
            images = self._geometric(images, p)
        if any(op in COLOUR for op in self.operations):
            images = self._colour(images, p)
        if "cutout" in self.operations:
            images = cutout(images, gate(p, images.shape[0], images.device))
        return images

    def _geometric(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """One affine map per image, from output to input coordinates in [-1, 1] (so each operation
        enters inverted), then one bilinear resampling with reflection padding."""
        n, device, ops = x.shape[0], x.device, self.operations
        one = torch.ones(n, device=device)
        maps = torch.eye(3, device=device).repeat(n, 1, 1)
        if "xflip" in ops:
            flip = chosen(torch.randint(2, (n,), device=device).float(), 0, p)
            maps = maps @ _scale(1 - 2 * flip, one)
        if "rotate90" in ops:
            quarter = chosen(torch.randint(4, (n,), device=device).float(), 0, p).long()
            cos, sin = torch.tensor([1.0, 0, -1, 0], device=device), torch.tensor([0.0, 1, 0, -1], device=device)
            maps = maps @ _rotation(cos[quarter], -sin[quarter])
        if "xint" in ops:
            shift = chosen((torch.rand(n, 2, device=device) * 2 - 1) * XINT_MAX, 0, p)
            side = torch.tensor([x.shape[3], x.shape[2]], device=device)
            shift = torch.round(shift * side) / side  # whole pixels
            maps = maps @ _translation(-2 * shift[:, 0], -2 * shift[:, 1])
        if "scale" in ops:
            factor = chosen(torch.exp2(torch.randn(n, device=device) * SCALE_STD), 1, p)
            maps = maps @ _scale(1 / factor, 1 / factor)
        rotation_p = 1 - math.sqrt(1 - min(p, 1.0))
        if "rotate" in ops:
            angle = chosen((torch.rand(n, device=device) * 2 - 1) * math.pi, 0, rotation_p)
            maps = maps @ _rotation(torch.cos(angle), -torch.sin(angle))
        if "aniso" in ops:
            factor = chosen(torch.exp2(torch.randn(n, device=device) * ANISO_STD), 1, p)
            maps = maps @ _scale(1 / factor, factor)
        if "rotate" in ops:
            angle = chosen((torch.rand(n, device=device) * 2 - 1) * math.pi, 0, rotation_p)
            maps = maps @ _rotation(torch.cos(angle), -torch.sin(angle))
        if "xfrac" in ops:
            shift = chosen(torch.randn(n, 2, device=device) * XFRAC_STD, 0, p)
            maps = maps @ _translation(-2 * shift[:, 0], -2 * shift[:, 1])
        moved = (maps != torch.eye(3, device=device)).any(dim=2).any(dim=1)
        grid = F.affine_grid(maps[:, :2, :].to(x.dtype), list(x.shape), align_corners=False)
        warped = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        return torch.where(moved[:, None, None, None], warped, x)

    def _colour(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """One 4x4 colour matrix per image acting on (r, g, b, 1); a grey image uses its mean effect."""
        n, device, ops = x.shape[0], x.device, self.operations
        eye = torch.eye(4, device=device)
        luma = torch.tensor([1.0, 1, 1, 0], device=device) / math.sqrt(3)
        luma_outer = torch.outer(luma, luma)
        matrices = eye.repeat(n, 1, 1)
        if "brightness" in ops:
            shift = chosen(torch.randn(n, device=device) * BRIGHTNESS_STD, 0, p)
            offset = eye.repeat(n, 1, 1)
            offset[:, :3, 3] = shift[:, None]
            matrices = offset @ matrices
        if "contrast" in ops:
            factor = chosen(torch.exp2(torch.randn(n, device=device) * CONTRAST_STD), 1, p)
            matrices = torch.diag_embed(torch.stack([factor, factor, factor, torch.ones_like(factor)], 1)) @ matrices
        if "lumaflip" in ops:
            flip = chosen(torch.randint(2, (n,), device=device).float(), 0, p)
            matrices = (eye - 2 * luma_outer * flip[:, None, None]) @ matrices
        if "hue" in ops and x.shape[1] == 3:
            angle = chosen((torch.rand(n, device=device) * 2 - 1) * math.pi, 0, p)
            matrices = _rotation_about(luma[:3], angle) @ matrices
        if "saturation" in ops and x.shape[1] == 3:
            factor = chosen(torch.exp2(torch.randn(n, device=device) * SATURATION_STD), 1, p)
            matrices = (luma_outer + (eye - luma_outer) * factor[:, None, None]) @ matrices
        changed = (matrices != eye).any(dim=2).any(dim=1)
        matrices = matrices.to(x.dtype)
        if x.shape[1] == 3:
            out = torch.einsum("nij,njhw->nihw", matrices[:, :3, :3], x) + matrices[:, :3, 3, None, None]
        else:  # grey: the mean over the output channels of the weight sum and of the offset
            gain = matrices[:, :3, :3].sum(dim=2).mean(dim=1)
            out = x * gain[:, None, None, None] + matrices[:, :3, 3].mean(dim=1)[:, None, None, None]
        return torch.where(changed[:, None, None, None], out, x)


def chosen(value: torch.Tensor, identity: float, p: float) -> torch.Tensor:
    """``value`` for the images an operation chose (each with probability ``p``), ``identity`` elsewhere."""
    picked = gate(p, value.shape[0], value.device).view(-1, *[1] * (value.dim() - 1))
    return torch.where(picked, value, torch.full_like(value, identity))


def _affine(a, b, c, d, e, f) -> torch.Tensor:
    """(n, 3, 3) matrices [[a, b, c], [d, e, f], [0, 0, 1]] from (n,) tensors."""
    zero, one = torch.zeros_like(a), torch.ones_like(a)
    return torch.stack([a, b, c, d, e, f, zero, zero, one], dim=1).view(-1, 3, 3)


def _scale(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    zero = torch.zeros_like(sx)
    return _affine(sx, zero, zero, zero, sy, zero)


def _translation(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    zero, one = torch.zeros_like(tx), torch.ones_like(tx)
    return _affine(one, zero, tx, zero, one, ty)


def _rotation(cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    zero = torch.zeros_like(cos)
    return _affine(cos, -sin, zero, sin, cos, zero)


def _rotation_about(axis: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """(n, 4, 4) rotations by ``angle`` about the unit 3-vector ``axis`` (Rodrigues' formula)."""
    x, y, z = axis
    zero = torch.zeros_like(x)
    cross = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero]).view(3, 3)
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    rotation = cos * torch.eye(3, device=axis.device) + sin * cross + (1 - cos) * torch.outer(axis, axis)
    out = torch.eye(4, device=axis.device).repeat(len(angle), 1, 1)
    out[:, :3, :3] = rotation
    return out
