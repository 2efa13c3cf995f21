"""Run reports: one self-contained HTML page about one or more runs (``gensynth report``).

* :mod:`gensynth._reports.collect` -- what a run's files say: previews, logged scalars, evaluations, config;
* :mod:`gensynth._reports.plots` -- the training curves, drawn with matplotlib;
* :mod:`gensynth._reports.page` -- the HTML page, images embedded, and the side-by-side comparison.
"""
