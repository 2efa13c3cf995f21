"""Static metadata that plugins register, each with a lazy ``module:attr`` target.

Everything here is torch-free: a spec is what listing shows, and only
:meth:`Spec.load` imports the code behind it.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from typing import Any, ClassVar

from gensynth._metadata.config import ModelConfig
from gensynth._errors import GensynthError
from gensynth._metadata.recipes import Recipe, find_recipe


@dataclasses.dataclass
class Spec:
    """Common part of every registered item. ``plugin`` and ``version`` are filled in by the registry."""

    kind: ClassVar[str] = "item"

    name: str
    summary: str
    target: str
    plugin: str = ""
    version: str = ""
    #: How to fix or remove the plugin that registered it (filled in by the registry).
    remedy: str = dataclasses.field(default="", init=False, repr=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.plugin}:{self.name}"

    def load(self) -> Any:
        """Import and return the object behind ``target`` (``package.module:attr``).

        Whatever importing it raises becomes a one-line GensynthError naming the plugin,
        the item and the fix (the original exception is its ``__cause__``).
        """
        module_name, _, attr = self.target.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
        except (Exception, SystemExit) as exc:  # a plugin's module may raise anything while it is imported
            raise GensynthError(f"{self.kind} {self.id} could not be loaded: {self._import_problem(exc)}") from exc
        try:
            for part in attr.split("."):
                obj = getattr(obj, part)
        except AttributeError as exc:
            raise GensynthError(f"{self.kind} {self.id} could not be loaded: its target {self.target!r} does not "
                                f"exist ({exc}); {self.fix}") from exc
        return obj

    def load_subclass(self, base: type) -> type:
        """:meth:`load` a target that must be a subclass of ``base``, a public class (``gensynth.<name>``);
        any other target is a one-line GensynthError for the plugin's author."""
        cls = self.load()
        if not (isinstance(cls, type) and issubclass(cls, base)):
            what = f"the class {cls.__name__}" if isinstance(cls, type) else f"a {type(cls).__name__}"
            raise GensynthError(f"{self.kind} {self.id}: target {self.target!r} is {what}, not a gensynth."
                                f"{base.__name__} subclass; report this to the author of plugin {self.plugin!r}")
        return cls

    @property
    def fix(self) -> str:
        if not self.remedy:
            return f"check that plugin {self.plugin!r} is installed completely"
        return f"fix plugin {self.plugin!r} or switch it off: {self.remedy}"

    def _import_problem(self, exc: BaseException) -> str:
        module_name = self.target.partition(":")[0]
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            return f"its target {self.target!r} names a module that does not exist ({exc}); {self.fix}"
        if missing:
            return (f"it needs the module {missing!r}, which is not installed; install the package that provides it "
                    f"into this environment ({sys.executable} -m pip install ...), or {self.fix}")
        if isinstance(exc, SyntaxError):
            return f"SyntaxError in {exc.filename}, line {exc.lineno}: {exc.msg}; {self.fix}"
        return f"importing {module_name} raised {type(exc).__name__}: {exc}; {self.fix}"

    def validate(self) -> None:
        """Raise ValueError when the metadata is malformed."""
        if not self.name or ":" in self.name or any(c.isspace() for c in self.name):
            raise ValueError(f"invalid {self.kind} name {self.name!r}: use a non-empty name without ':' or spaces")
        module_name, sep, attr = self.target.partition(":")
        if not sep or not module_name or not attr:
            raise ValueError(f"{self.kind} {self.name!r}: target must be 'module:attr', got {self.target!r}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "summary": self.summary, "plugin": self.plugin,
                "version": self.version, "target": self.target}


@dataclasses.dataclass
class ModelSpec(Spec):
    """A generative model: what ``list-models`` and ``info`` show.

    ``config`` is the model's :class:`~gensynth._metadata.config.ModelConfig` subclass (defined in
    a torch-free module). ``data`` is ``"image"`` or ``"points"``; ``resolutions`` and
    ``channels`` list what the model supports; ``capabilities`` name optional features
    (``"conditional"``, ``"translate"``, ``"reconstruct"``, ...). ``test_config`` holds
    config values that make the model small (narrow layers) so that the conformance
    kit (:mod:`gensynth.testing`) checks it in seconds. ``recipes`` are named presets of
    config values and training options (:mod:`gensynth._metadata.recipes`); ``default_recipe``
    names the one used when ``--recipe`` is not given.
    """

    kind: ClassVar[str] = "model"

    family: str = "other"
    config: type[ModelConfig] = ModelConfig
    data: str = "image"
    resolutions: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()
    capabilities: tuple[str, ...] = ()
    test_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    recipes: tuple[Recipe, ...] = ()
    default_recipe: str = ""

    def validate(self) -> None:
        super().validate()
        if not (isinstance(self.config, type) and issubclass(self.config, ModelConfig)):
            raise ValueError(f"model {self.name!r}: config must be a ModelConfig subclass")
        if self.data not in ("image", "points"):
            raise ValueError(f"model {self.name!r}: data must be 'image' or 'points', got {self.data!r}")
        try:
            self.config.fields_info()  # every field's type supported, so listing it cannot fail later
        except (TypeError, NameError) as exc:
            raise ValueError(f"model {self.name!r}: {exc}") from None
        fields = dataclasses.fields(self.config)
        if all(f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING for f in fields):
            try:
                self.config()  # a default outside its field's choices or bounds would refuse every build
            except GensynthError as exc:
                raise ValueError(f"model {self.name!r}: its default config is refused: {exc}") from None
        for recipe in self.recipes:
            recipe.validate(self.name, {f.name for f in fields})
        if self.default_recipe and self.default_recipe not in {r.name for r in self.recipes}:
            raise ValueError(f"model {self.name!r}: default_recipe {self.default_recipe!r} is not one of its recipes")

    def recipe(self, name: str | None) -> Recipe | None:
        """The recipe called ``name``, the default recipe when ``name`` is None (None if there is none)."""
        name = name or self.default_recipe
        return find_recipe(self.recipes, name, self.id) if name else None

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "family": self.family,
            "data": self.data,
            "resolutions": list(self.resolutions),
            "channels": list(self.channels),
            "capabilities": list(self.capabilities),
            "config": [f.to_json() for f in self.config.fields_info()],
            "recipes": [r.to_json() for r in self.recipes],
            "default_recipe": self.default_recipe,
        }


@dataclasses.dataclass
class LossSpec(Spec):
    """A loss function usable by models of ``family``."""

    kind: ClassVar[str] = "loss"
    family: str = "gan"


@dataclasses.dataclass
class AugmentationSpec(Spec):
    """A differentiable image augmentation that GANs apply to everything their discriminator sees
    (``--set augment=NAME``).

    The target is a :class:`gensynth.Augmentation` subclass (see :mod:`gensynth._models.augmentation`).
    """

    kind: ClassVar[str] = "augmentation"


@dataclasses.dataclass
class EvaluatorSpec(Spec):
    """A metric computed on a trained run.

    ``values`` names what its ``compute`` reports (``("mse", "psnr")``), so that asking for a value
    as if it were a metric (``--metrics psnr``) is answered with the metric that reports it.
    """

    kind: ClassVar[str] = "metric"
    values: tuple[str, ...] = ()

    def validate(self) -> None:
        super().validate()
        if isinstance(self.values, str) or not all(isinstance(v, str) and v for v in self.values):
            raise ValueError(f"{self.kind} {self.name!r}: values must be a tuple of value names, got {self.values!r}")
        self.values = tuple(self.values)


@dataclasses.dataclass
class ExtractorSpec(Spec):
    """A feature extractor that metrics compare real and generated images with.

    The target is a callable ``(setup: ExtractorSetup) -> FeatureExtractor``
    (see :mod:`gensynth._evaluation.interfaces`).
    """

    kind: ClassVar[str] = "extractor"


@dataclasses.dataclass
class DatasetSpec(Spec):
    """A data source selected with ``--data NAME`` or ``--data NAME:ARGUMENT``.

    ``argument`` names what follows the colon (``"PATH"``), empty when none is taken.
    The target is a callable ``(argument, request, *, download=False)`` returning
    ``TensorData`` or ``StreamingImages`` (see :mod:`gensynth._data.dataset`).
    ``domains`` names the data domains a source holds when it holds several
    (``("a", "b")`` for unpaired image sets); it is then called once per domain,
    with ``request.domain`` set (see :mod:`gensynth._data.domains`). ``paired`` says
    that those domains are aligned: sample ``i`` of every domain belongs with sample
    ``i`` of the others (an input and its target), so every call returns as many
    samples, in the same order; models that ask for paired data (``DataRequest.paired``)
    accept only such sources.
    """

    kind: ClassVar[str] = "dataset"
    argument: str = ""
    domains: tuple[str, ...] = ()
    paired: bool = False

    def validate(self) -> None:
        super().validate()
        if self.paired and len(self.domains) < 2:
            raise ValueError(f"dataset {self.name!r}: paired=True needs the domains it aligns, e.g. domains=('a', 'b')")

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name
