"""``--data SPEC``: find the registered source, load it, check it fits the model's request.

``SPEC`` is ``NAME`` or ``NAME:ARGUMENT``, split on the first colon
(``mnist:/data/mnist``, ``torchvision:CIFAR10:/data``). ``NAME`` may be
qualified by its plugin when two plugins register the same name
(``datasets:mnist:/data/mnist``): when the text before the first colon is a
plugin and the next part is one of that plugin's datasets, the qualified
reading wins. A suffix ``@START:END`` selects part of the source (see
:mod:`gensynth._data.split`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Union

from gensynth._metadata.request import DataRequest
from gensynth._data.split import split_spec
from gensynth._errors import GensynthError
from gensynth._discovery.registry import Registry, get_registry
from gensynth._metadata.specs import DatasetSpec
from gensynth._naming import config_value, from_cli, option

if TYPE_CHECKING:
    from gensynth._data.dataset import StreamingImages, TensorData

#: What ``--data`` (a spec) or ``--data-a/--data-b`` (a spec per domain) give.
DataSpecs = Union[str, Mapping[str, str]]
_NOUNS = {"image": "images", "points": "points"}
_EXAMPLES = {"image": "an image dataset such as digits", "points": "a point dataset such as ring8"}


def check_data_specs(specs: object, name: str = "data") -> None:
    """A one-line GensynthError unless ``specs`` is a spec or ``{domain: spec}`` (checked before anything loads)."""
    if isinstance(specs, str) and specs.strip():
        return
    if isinstance(specs, Mapping) and specs and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                    for k, v in specs.items()):
        return
    raise GensynthError(f"{option(name)} must be a data spec such as 'digits' or 'mnist:PATH', or "
                        f"{{domain: spec}} for a model that learns between domains; got {specs!r}")


def describe_specs(specs: DataSpecs) -> str:
    """The data settings that give ``specs``: ``--data SPEC`` or ``--data-a SPEC --data-b SPEC`` (from Python,
    ``data='SPEC'`` or ``data={'a': ..., 'b': ...}``)."""
    if isinstance(specs, str):
        return option("data", specs)
    if not from_cli():
        return option("data", dict(specs))
    return " ".join(option(f"data[{name}]", spec) for name, spec in specs.items())


def parse_data_spec(text: str, registry: Registry, name: str = "data") -> tuple[DatasetSpec, str]:
    """The dataset spec ``text`` names and its argument (``""`` when it takes none); ``name`` is the
    setting it came from, for messages."""
    source, colon, argument = text.strip().partition(":")
    if not source:
        raise GensynthError(f"{option(name, text)} names no dataset: use NAME or NAME:ARGUMENT, e.g. digits")
    qualified = {spec.id for spec in registry.all("datasets")}
    inner, inner_colon, rest = argument.partition(":")
    if f"{source}:{inner}" in qualified:
        source, colon, argument = f"{source}:{inner}", inner_colon, rest
    base = source.partition("@")[0]
    if "@" in source and not colon and any(base in (s.name, s.id) for s in registry.all("datasets")):
        raise GensynthError(f"{option(name, text)}: the part after @ must be a range START:END of samples "
                            f"(e.g. {base}@:1000 or {base}@1000:)")
    spec: DatasetSpec = registry.resolve("datasets", source)
    if spec.argument and not argument:
        raise GensynthError(f"dataset {spec.name} needs {spec.argument}: use {option(name, spec.usage)}")
    if not spec.argument and colon:
        raise GensynthError(f"dataset {spec.name} takes no argument, got {argument!r}: use {option(name, spec.usage)}")
    return spec, argument


def check_spec(spec_text: str, registry: Registry, name: str = "data") -> None:
    """Check that ``spec_text`` names a registered dataset correctly, before anything loads."""
    parse_data_spec(split_spec(spec_text, name)[0], registry, name)


def load_data(spec_text: str, request: DataRequest = DataRequest(), registry: Registry | None = None, *,
              download: bool = False, name: str = "data") -> TensorData | StreamingImages:
    """Load the data ``spec_text`` names, converted as ``request`` asks.

    ``registry`` defaults to the installed plugins' (a source that builds on another
    source, such as ``edges:SPEC``, calls this with the spec it was given).
    ``download`` lets sources that can fetch files (``torchvision``) do so; ``name`` is the
    setting the spec came from (``data``, ``reference``, ...), for messages.
    """
    from gensynth._data.dataset import StreamingImages, TensorData

    registry = registry or get_registry()
    source_text, split = split_spec(spec_text, name)
    spec, argument = parse_data_spec(source_text, registry, name)
    check_domain(spec, spec_text, request, name)
    data = spec.load()(argument, request, download=download)
    if not isinstance(data, (TensorData, StreamingImages)):
        raise GensynthError(f"dataset {spec.id} returned {type(data).__name__}, not TensorData or StreamingImages; "
                            f"report this to the author of plugin {spec.plugin!r}")
    data.source = spec_text
    if len(data) == 0:
        raise GensynthError(f"{option(name, spec_text)} holds no samples; give data with at least one")
    if split is not None:
        taken = split.apply(data)
        if len(taken) == 0:
            raise GensynthError(f"{option(name, spec_text)} selects no samples: the source has {len(data)}; "
                                f"choose @START:END within 0:{len(data)}")
        data = taken
    check_request(data, request, name)
    return data


def check_domain(spec: DatasetSpec, spec_text: str, request: DataRequest, name: str = "data") -> None:
    """Raise a GensynthError when a source that holds several domains is not asked for one of them."""
    if not spec.domains or request.domain in spec.domains:
        return
    held = ", ".join(spec.domains)
    if request.domain is None:
        raise GensynthError(f"{option(name, spec_text)} holds the data domains {held} of a model that learns between "
                            f"domains, but this model trains on one data set; give one domain's images, e.g. folder:PATH")
    raise GensynthError(f"{option(name, spec_text)} holds the data domains {held}, not {request.domain!r} that this "
                        f"model asks for; give {describe_specs({request.domain: 'SPEC'})}")


def check_request(data: TensorData | StreamingImages, request: DataRequest, name: str = "data") -> None:
    """Raise a GensynthError when ``data`` is not what ``request`` asks for."""
    given = option(name, data.source)
    if data.kind != request.kind:
        raise GensynthError(f"{given} gives {_NOUNS[data.kind]} but this model needs "
                            f"{_NOUNS[request.kind]}; choose {_EXAMPLES[request.kind]}")
    if request.labels and not data.has_labels:
        raise GensynthError(f"{given} has no class labels but this model is conditional; "
                            f"use labelled data or an unconditional model (num_classes=0)")
    if data.kind == "points" and request.dim is not None and data.shape != (request.dim,):
        dim = data.shape[0] if len(data.shape) == 1 else "x".join(map(str, data.shape))
        raise GensynthError(f"{given} gives {dim}-dimensional points but the model asks for "
                            f"{request.dim}-dimensional ones; use data of that dimension or a model configured "
                            f"for {dim} (e.g. {config_value('dim', dim)})")
    if data.kind == "image":
        channels, height, width = data.shape
        wanted = (request.channels or channels, request.image_size or height, request.image_size or width)
        if (channels, height, width) != wanted:
            raise GensynthError(f"{given} gave {channels}x{height}x{width} images but the model asked "
                                f"for {wanted[0]}x{wanted[1]}x{wanted[2]}; report this to the dataset's plugin author")
