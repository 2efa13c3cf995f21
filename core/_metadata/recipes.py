"""Recipes: named, measured presets of a model's config and training options.

A model declares its recipes in its :class:`~gensynth._metadata.specs.ModelSpec`
(``recipes=(Recipe(...), ...)``, ``default_recipe="..."``); ``gensynth info``
lists them and ``gensynth train MODEL --recipe NAME`` picks one. Values are
layered: config field defaults < recipe < ``--config`` file < ``--set``, and
for training options: built-in defaults < recipe < explicit options
(``--batch-size``). Without ``--recipe`` the model's default recipe applies,
which should be the one that measures best.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gensynth._errors import GensynthError
from gensynth._naming import option

#: Training options a recipe may set (the ones that change what is learned, not how it is logged).
RECIPE_TRAINING_OPTIONS = ("batch_size",)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """``config``: model config values; ``training``: :class:`~gensynth._training.trainer.TrainOptions` values
    (only those in :data:`RECIPE_TRAINING_OPTIONS`)."""

    name: str
    summary: str
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    training: dict[str, Any] = dataclasses.field(default_factory=dict)

    def validate(self, model: str, config_fields: set[str]) -> None:
        unknown = sorted(set(self.config) - config_fields)
        if unknown:
            raise ValueError(f"model {model!r}: recipe {self.name!r} sets unknown config field {unknown[0]!r}")
        unknown = sorted(set(self.training) - set(RECIPE_TRAINING_OPTIONS))
        if unknown:
            raise ValueError(f"model {model!r}: recipe {self.name!r} sets {unknown[0]!r}; recipes may set only "
                             f"{', '.join(RECIPE_TRAINING_OPTIONS)} among training options")

    def describe(self) -> str:
        """``key=value`` pairs of the recipe, training options last."""
        values = {**self.config, **self.training}
        return " ".join(f"{key}={_plain(value)}" for key, value in values.items()) or "(the config defaults)"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "config": dict(self.config), "training": dict(self.training)}


def _plain(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def find_recipe(recipes: tuple[Recipe, ...], name: str, model: str) -> Recipe:
    """The recipe called ``name``, or a one-line error listing the model's recipes."""
    for recipe in recipes:
        if recipe.name == name:
            return recipe
    if not recipes:
        raise GensynthError(f"{model} has no recipes; drop {option('recipe')} and set fields with {option('config')}")
    raise GensynthError(f"{model} has no recipe {name!r}; choose one of: {', '.join(r.name for r in recipes)} "
                        f"(see `gensynth info {model}`)")
