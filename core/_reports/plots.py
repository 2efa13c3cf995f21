"""Training curves as PNG images, drawn with matplotlib (its Agg canvas: no display, no global pyplot state)."""

from __future__ import annotations

import io
from typing import Sequence

#: Panels of the curves figure: (title, tag prefix, y label).
PANELS = (("losses", "loss/", "loss"), ("learning rates", "lr/", "learning rate"),
          ("evaluations during training", "eval/", "value"))
Series = Sequence[tuple[int, float]]


def panels(scalars: dict[str, Series]) -> list[tuple[str, str, dict[str, Series]]]:
    """``(title, y label, {name: series})`` for each kind of scalar that was logged; what fits no panel
    (e.g. ``logits/real``) goes to an ``other logged values`` panel."""
    out, placed = [], set()
    for title, prefix, label in PANELS:
        chosen = {tag[len(prefix):]: values for tag, values in scalars.items() if tag.startswith(prefix) and values}
        placed |= {prefix + name for name in chosen}
        if chosen:
            out.append((title, label, chosen))
    rest = {tag: values for tag, values in scalars.items() if tag not in placed and values}
    if rest:
        out.append(("other logged values", "value", rest))
    return out


def figure_png(groups: list[tuple[str, str, dict[str, Series]]], width: float = 9.0) -> bytes:
    """One row of axes per group (step on x), each series a labelled line; PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, 2.6 * len(groups)), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(groups), 1, squeeze=False)[:, 0]
    for ax, (title, label, series) in zip(axes, groups):
        for name, values in series.items():
            steps, ys = zip(*values)
            ax.plot(steps, ys, label=name, linewidth=1.2, marker="o" if len(steps) < 12 else None, markersize=3)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(True, linewidth=0.3, alpha=0.6)
        ax.legend(fontsize=7, loc="best")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def curves_png(scalars: dict[str, Series]) -> bytes | None:
    """The losses, learning rates and evaluation values of one run over training; None when nothing was logged."""
    groups = panels(scalars)
    return figure_png(groups) if groups else None


def compared_png(runs: dict[str, dict[str, Series]], prefix: str, title: str) -> bytes | None:
    """One panel per tag under ``prefix`` (e.g. ``loss/``), every run a line in it; None when none logged it."""
    tags = sorted({tag for scalars in runs.values() for tag in scalars if tag.startswith(prefix)})
    groups = [(f"{title}: {tag[len(prefix):]}", tag[len(prefix):],
               {label: scalars[tag] for label, scalars in runs.items() if scalars.get(tag)}) for tag in tags]
    return figure_png(groups) if groups else None
