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

from gensynth._data.dataset import StreamingImages, TensorData
from gensynth._metadata.request import DataRequest
from gensynth._data.split import split_spec
from gensynth._errors import GensynthError
from gensynth._discovery.registry import Registry, get_registry
from gensynth._metadata.specs import DatasetSpec

_NOUNS = {"image": "images", "points": "points"}
_EXAMPLES = {"image": "an image dataset such as digits", "points": "a point dataset such as ring8"}


def parse_data_spec(text: str, registry: Registry) -> tuple[DatasetSpec, str]:
    """The dataset spec ``text`` names and its argument (``""`` when it takes none)."""
    name, colon, argument = text.strip().partition(":")
    if not name:
        raise GensynthError(f"--data {text!r} names no dataset: use NAME or NAME:ARGUMENT, e.g. digits")
    qualified = {spec.id for spec in registry.all("datasets")}
    inner, inner_colon, rest = argument.partition(":")
    if f"{name}:{inner}" in qualified:
        name, colon, argument = f"{name}:{inner}", inner_colon, rest
    spec: DatasetSpec = registry.resolve("datasets", name)
    if spec.argument and not argument:
        raise GensynthError(f"dataset {spec.name} needs {spec.argument}: use --data {spec.usage}")
    if not spec.argument and colon:
        raise GensynthError(f"dataset {spec.name} takes no argument, got {argument!r}: use --data {spec.usage}")
    return spec, argument


def load_data(spec_text: str, request: DataRequest = DataRequest(), registry: Registry | None = None, *,
              download: bool = False) -> TensorData | StreamingImages:
    """Load the data ``--data spec_text`` names, converted as ``request`` asks.

    ``registry`` defaults to the installed plugins' (a source that builds on another
    source, such as ``edges:SPEC``, calls this with the spec it was given).
    ``download`` lets sources that can fetch files (``torchvision``) do so.
    """
    registry = registry or get_registry()
    source_text, split = split_spec(spec_text)
    spec, argument = parse_data_spec(source_text, registry)
    check_domain(spec, spec_text, request)
    data = spec.load()(argument, request, download=download)
    if not isinstance(data, (TensorData, StreamingImages)):
        raise GensynthError(f"dataset {spec.id} returned {type(data).__name__}, not TensorData or StreamingImages; "
                            f"report this to the author of plugin {spec.plugin!r}")
    data.source = spec_text
    if split is not None:
        data = split.apply(data)
    check_request(data, request)
    return data


def check_domain(spec: DatasetSpec, spec_text: str, request: DataRequest) -> None:
    """Raise a GensynthError when a source that holds several domains is not asked for one of them."""
    if not spec.domains or request.domain in spec.domains:
        return
    held = ", ".join(spec.domains)
    if request.domain is None:
        raise GensynthError(f"--data {spec_text} holds the data domains {held} of a model that learns between "
                            f"domains, but this model trains on one data set; give one domain's images, e.g. folder:PATH")
    raise GensynthError(f"--data {spec_text} holds the data domains {held}, not {request.domain!r} that this model "
                        f"asks for; give --data-{request.domain} SPEC")


def check_request(data: TensorData | StreamingImages, request: DataRequest) -> None:
    """Raise a GensynthError when ``data`` is not what ``request`` asks for."""
    if data.kind != request.kind:
        raise GensynthError(f"--data {data.source} gives {_NOUNS[data.kind]} but this model needs "
                            f"{_NOUNS[request.kind]}; choose {_EXAMPLES[request.kind]}")
    if request.labels and not data.has_labels:
        raise GensynthError(f"--data {data.source} has no class labels but this model is conditional; "
                            f"use labelled data or an unconditional model (num_classes=0)")
    if data.kind == "points" and request.dim is not None and data.shape != (request.dim,):
        given = data.shape[0] if len(data.shape) == 1 else "x".join(map(str, data.shape))
        raise GensynthError(f"--data {data.source} gives {given}-dimensional points but the model asks for "
                            f"{request.dim}-dimensional ones; use data of that dimension or a model configured "
                            f"for {given} (e.g. --set dim={given})")
    if data.kind == "image":
        channels, height, width = data.shape
        wanted = (request.channels or channels, request.image_size or height, request.image_size or width)
        if (channels, height, width) != wanted:
            raise GensynthError(f"--data {data.source} gave {channels}x{height}x{width} images but the model asked "
                                f"for {wanted[0]}x{wanted[1]}x{wanted[2]}; report this to the dataset's plugin author")
