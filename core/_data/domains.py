"""Several named data domains, for models that learn between domains (such as a CycleGAN).

A model asks for domains by returning ``{name: DataRequest}`` from
``Model.data_request()`` instead of one request. It is then given one data set
per domain, either

* from one spec per domain: ``--data-a SPEC --data-b SPEC`` on the command line,
  ``data={"a": SPEC, "b": SPEC}`` in the Python API; or
* from one spec whose source holds every requested domain (its
  ``DatasetSpec.domains``, e.g. ``unpaired:PATH`` holds ``a`` and ``b``).

Each domain is loaded with its own request, whose ``domain`` field names it, so
a source that holds several domains returns the one asked for.

The batch of an iteration is then ``{name: {"x": ..., "y": ...}}``. Every domain
has its own deterministic, restartable :class:`~gensynth._data.loader.BatchStream`
seeded with :func:`domain_seed`, and the streams advance together, one batch each
per step: step ``s`` depends only on ``(seed, s)`` in every domain, so resume
stays bit-exact when the domains differ in size. An epoch is one pass over the
largest domain (smaller ones start their next pass earlier), as in the reference
CycleGAN's unaligned dataset.

**Paired domains.** A model that learns from aligned pairs (pix2pix: an input and
its target) sets ``paired=True`` in its domains' requests. Its data must then come
from one spec whose source declares its domains paired (``DatasetSpec.paired``,
e.g. ``paired:PATH``; ``@START:END`` selects the same samples in every domain), the
domains must hold as many samples, and they are returned as :class:`AlignedDomains`,
whose batch stream draws one order for all domains: batch ``s`` holds the same
indices in every domain. Any third-party model or source gets this by setting the
two flags.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, Iterator, Mapping, Union

import torch

from gensynth._data.dataset import StreamingImages, TensorData
from gensynth._data.loader import BatchStream
from gensynth._metadata.request import DataRequest
from gensynth._data.spec import DataSpecs, describe_specs, load_data, parse_data_spec
from gensynth._data.split import split_spec
from gensynth._errors import GensynthError
from gensynth._discovery.registry import Registry
from gensynth._naming import option

Data = Union[TensorData, StreamingImages]
#: What a model trains on: one data set, or one per named domain.
ModelData = Union[Data, dict[str, Data]]
#: What ``Model.data_request()`` returns.
Requested = Union[DataRequest, Mapping[str, DataRequest]]


def domain_seed(seed: int, domain: str) -> int:
    """The batch-order seed of ``domain`` in a run seeded with ``seed``: distinct per domain, stable across processes.

    The domain changes the low 32 bits, the only ones torch's CPU generator keeps.
    """
    return seed + zlib.crc32(domain.encode())


class AlignedDomains(dict):
    """``{domain: data}`` whose domains are aligned sample by sample (from a paired source, equal sizes):
    its batches hold the same indices in every domain."""


class DomainBatches:
    """An endless iterator of ``{domain: batch}``: one :class:`BatchStream` per domain, advanced together.

    Each domain has its own order (seeded with :func:`domain_seed`), unless the domains
    are :class:`AlignedDomains`: then every domain follows the order of ``seed``.
    """

    def __init__(self, domains: Mapping[str, Data], batch_size: int, seed: int, start_step: int = 0,
                 device: torch.device | str | None = None, rank: int = 0, world_size: int = 1) -> None:
        aligned = isinstance(domains, AlignedDomains)
        self._streams = {name: BatchStream(data, batch_size, seed if aligned else domain_seed(seed, name),
                                           start_step, device, rank=rank, world_size=world_size)
                         for name, data in domains.items()}

    def __iter__(self) -> DomainBatches:
        return self

    def __next__(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: next(stream) for name, stream in self._streams.items()}


def open_batches(data: ModelData, batch_size: int, seed: int, start_step: int = 0,
                 device: torch.device | str | None = None, rank: int = 0, world_size: int = 1) -> Iterator[dict[str, Any]]:
    """The deterministic batch stream of ``data``: one data set's batches, or ``{domain: batch}``;
    with ``world_size`` processes, process ``rank``'s share of each global batch."""
    if isinstance(data, Mapping):
        return DomainBatches(data, batch_size, seed, start_step, device, rank, world_size)
    return BatchStream(data, batch_size, seed, start_step, device, rank=rank, world_size=world_size)


def steps_per_epoch(data: ModelData, batch_size: int) -> int:
    """Steps in one pass over the data (over the largest domain); a GensynthError when a batch cannot fit."""
    if isinstance(data, Mapping):
        return max(BatchStream.steps_for(len(part), batch_size) for part in data.values())
    return BatchStream.steps_for(len(data), batch_size)


def smallest_size(data: ModelData) -> int:
    """Samples in the data (in its smallest domain)."""
    return min(len(part) for part in data.values()) if isinstance(data, Mapping) else len(data)


def data_info(data: ModelData) -> dict[str, Any]:
    """``info()`` of the data, or ``{domain: info()}``: what ``Model.bind_data`` gets and ``config.json`` records."""
    if isinstance(data, Mapping):
        return {name: part.info() for name, part in data.items()}
    return data.info()


def load_model_data(specs: DataSpecs, request: Requested, registry: Registry, *, download: bool = False) -> ModelData:
    """Load what a model's ``data_request()`` asks for: one data set, or one per domain."""
    if isinstance(request, DataRequest):
        if not isinstance(specs, str):
            raise GensynthError(f"this model trains on one data set, not on domains {', '.join(specs)}; "
                                f"give {option('data', 'SPEC')} instead of {describe_specs(specs)}")
        return load_data(specs, request, registry, download=download)
    paired = any(wanted.paired for wanted in request.values())
    by_domain = paired_specs(specs, list(request), registry) if paired else domain_specs(specs, list(request), registry)
    loaded = {name: load_data(by_domain[name], dataclasses.replace(wanted, domain=name), registry, download=download,
                              name="data" if isinstance(specs, str) else f"data[{name}]")
              for name, wanted in request.items()}
    return aligned(loaded) if paired else loaded


def aligned(domains: dict[str, Data]) -> AlignedDomains:
    """Paired domains as :class:`AlignedDomains`; a GensynthError when their sizes differ."""
    sizes = {name: len(data) for name, data in domains.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{size} in {name}" for name, size in sizes.items())
        raise GensynthError(f"paired data needs as many samples in every domain, got {listed}; "
                            f"report this to the dataset's plugin author")
    return AlignedDomains(domains)


def paired_specs(specs: DataSpecs, domains: list[str], registry: Registry) -> dict[str, str]:
    """The spec of each domain of a model that learns from aligned pairs: one spec of a paired source."""
    holders = [s.usage for s in registry.all("datasets") if s.paired and set(domains) <= set(s.domains)]
    choices = (option("data", " / ".join(holders)) if holders
               else f"{option('data', 'SPEC')} of a source that holds aligned pairs")
    if isinstance(specs, str):
        source, _ = parse_data_spec(split_spec(specs)[0], registry)
        if source.paired and set(domains) <= set(source.domains):
            return {name: specs for name in domains}
        what = "unaligned domains" if set(domains) <= set(source.domains) else "one data set"
        raise GensynthError(f"this model learns from aligned pairs of the domains {', '.join(domains)} and "
                            f"{option('data', specs)} holds {what}: give {choices}")
    raise GensynthError(f"this model learns from aligned pairs and {describe_specs(specs)} gives independent data "
                        f"sets, whose order pairs nothing: give {choices}")


def domain_specs(specs: DataSpecs, domains: list[str], registry: Registry) -> dict[str, str]:
    """The spec of each requested domain; a GensynthError saying what to give when they do not fit."""
    options = describe_specs({name: "SPEC" for name in domains})
    holders = [s.usage for s in registry.all("datasets") if set(domains) <= set(s.domains)]
    alternative = f", or {option('data', ' / '.join(holders))} (a source that holds them all)" if holders else ""
    if isinstance(specs, str):
        source, _ = parse_data_spec(split_spec(specs)[0], registry)
        if set(domains) <= set(source.domains):
            return {name: specs for name in domains}
        raise GensynthError(f"this model learns between the data domains {', '.join(domains)} and {option('data', specs)} "
                            f"is one data set: give {options}{alternative}")
    missing = [name for name in domains if not specs.get(name)]
    unknown = [name for name in specs if name not in domains]
    if missing or unknown:
        problem = f"no data for domain {missing[0]}" if missing else f"there is no domain {unknown[0]}"
        raise GensynthError(f"{problem}: this model learns between the domains {', '.join(domains)}; "
                            f"give {options}{alternative}")
    return {name: specs[name] for name in domains}
