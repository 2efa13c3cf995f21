"""Optional model features: the names a model declares in ``ModelSpec.capabilities``
and the methods each name promises (torch-free).

Commands check a run's capabilities before they call a method, so a model that
lacks one gets a clear error naming the installed models that have it:

``"conditional"``
    ``sample(n, seed=None, labels=None)`` follows ``labels`` (a LongTensor (n,) of
    classes ``0 .. num_classes - 1``); the model has an int attribute ``num_classes``,
    usually learned in ``bind_data(info)``. Its other generating methods accept
    ``labels=`` too.
``"latent"``
    ``sample_latents(n, seed=None) -> z`` (n, D) from the prior and
    ``decode_latents(z) -> images``; ``sample(n, seed)`` equals
    ``decode_latents(sample_latents(n, seed))``. Used for latent interpolations.
``"truncation"``
    With ``"latent"``: ``sample_latents(n, seed=None, truncation=psi)`` pulls each code
    towards the model's mean latent, ``mean + psi * (z - mean)`` (the truncation trick:
    ``psi = 1`` is the prior, ``psi = 0`` the mean latent itself), and
    ``sample(n, seed, truncation=psi)`` decodes those codes. Trades variety for fidelity.
    ``psi`` lies in [0, 1] (:func:`check_truncation`).
``"reconstruct"``
    ``reconstruct(x) -> images`` of ``x``'s shape: the model's reconstruction of a batch.
``"translate"``
    ``translate(x, direction) -> images`` of the other data domain, for each ``direction``
    in the model's ``directions`` attribute (``("a2b", "b2a")``). A direction is named
    ``<source>2<target>`` after the domains the model's ``data_request()`` asks for;
    ``x`` (N, C, H, W) in [-1, 1] holds images of the source domain as that request
    describes them (its channels, and H and W as the model accepts).
"""

from __future__ import annotations

import numbers

from gensynth._errors import GensynthError
from gensynth._naming import option
from gensynth._metadata.specs import ModelSpec

CONDITIONAL = "conditional"
LATENT = "latent"
RECONSTRUCT = "reconstruct"
TRANSLATE = "translate"
TRUNCATION = "truncation"


def require(spec: ModelSpec, capability: str, wanted: str, models: list[ModelSpec]) -> None:
    """Raise a GensynthError saying that ``wanted`` needs ``capability`` when ``spec`` lacks it.

    ``models`` are the installed models; the message names those that have it.
    """
    if capability in spec.capabilities:
        return
    able = [m.id for m in models if capability in m.capabilities]
    hint = f"models that have it: {', '.join(able)}" if able else "no installed model has it"
    raise GensynthError(f"{wanted} needs a model with the {capability!r} capability and {spec.id} has "
                        f"{', '.join(spec.capabilities) or 'none'}; {hint}")


def check_label(label: int, num_classes: int) -> None:
    """Raise a GensynthError when ``label`` is not a class of a model with ``num_classes`` classes."""
    if not 0 <= label < num_classes:
        raise GensynthError(f"label {label} is out of range: this model knows classes 0..{num_classes - 1}")


def check_truncation(psi: float) -> float:
    """``psi`` as a float when it is a truncation for the ``"truncation"`` capability, else a GensynthError.

    The truncation trick (BigGAN, StyleGAN) pulls codes towards the mean latent,
    ``mean + psi * (z - mean)``: ``psi`` in [0, 1], 1 the prior itself, 0 the mean
    latent for every sample. A larger ``psi`` would push codes away from the mean,
    outside the prior the generator learned, and a negative one mirrors them through
    it; both, NaN and infinities are refused, so a model's methods and the command
    line (checked before anything loads) accept the same values.
    """
    if isinstance(psi, bool) or not isinstance(psi, numbers.Real) or not 0 <= psi <= 1:
        raise GensynthError(f"{option('truncation')} must lie in [0, 1] (1: no truncation, 0: the mean latent for "
                            f"every sample), got {psi!r}")
    return float(psi)
