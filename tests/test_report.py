"""`gensynth report`: a self-contained page, the comparison that keeps protocols apart, and a real browser render."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from gensynth import api
from gensynth.cli.main import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: The flags that work on these machines (closed network, no sandbox as root): see .ci/run.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TINY = {"hidden": 8, "depth": 1}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three tiny ring8 runs evaluated during training: two under one protocol, one with other sample counts."""
    root = tmp_path_factory.mktemp("report")
    common = dict(steps=4, config=TINY, progress="none", log_every=1, sample_every=2, eval_every=2,
                  eval_metrics=("mode_coverage",))
    api.train("mlp-gan", "ring8", root / "a", eval_samples=200, **common)
    api.train("mlp-gan", "ring8", root / "b", eval_samples=200, seed=1, **common)
    api.train("mlp-gan", "ring8", root / "c", eval_samples=300, **common)
    return root


def test_the_page_is_self_contained_and_has_every_part(runs, tmp_path):
    result = CliRunner().invoke(cli, ["report", str(runs / "a"), "-o", str(tmp_path / "one.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "one.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", page) and "<script" not in page
    images = re.findall(r'<img[^>]* src="data:image/png;base64,', page)
    assert len(images) == 3  # previews at steps 2 and 4, and the curves
    for heading in ("Samples over training", "Training curves", "Evaluations", "Configuration"):
        assert f"<h3>{heading}</h3>" in page
    assert "step 2" in page and "step 4" in page and "learning rate" not in page  # curves are a picture
    assert "mode_coverage" in page and "modes" in page and "ring8 (100,000)" in page
    assert "<td>hidden</td><td>8</td>" in page  # the config


def test_several_runs_share_a_column_only_under_one_protocol(runs, tmp_path):
    api_out = tmp_path / "three.html"
    from gensynth._reports.page import write_report

    write_report([runs / "a", runs / "b", runs / "c"], api_out)
    page = api_out.read_text()
    comparison = page[page.index('id="comparison"'):page.index('id="run-0"')]
    protocols = {json.loads((runs / r / "eval" / "step-00000004.json").read_text())["results"][0]["protocol_id"]
                 for r in "abc"}
    assert len(protocols) == 2
    headers = re.findall(r"<th>(modes)<br><span class=\"note\">protocol (\w+)", comparison)
    assert sorted(pid for _, pid in headers) == sorted(protocols)  # one "modes" column per protocol
    rows = re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", comparison)
    filled = {label.rsplit("/", 1)[-1]: [c != "-" for c in re.findall(r'<td class="num">([^<]*)</td>', cells)]
              for label, cells in rows if label.startswith(str(runs))}
    assert filled["a"] == filled["b"] != filled["c"]  # a and b side by side in one column, c in its own
    assert "were measured under different protocols (they differ in generated.num_samples)" in comparison
    assert "training.eval_samples" in comparison and "training.seed" in comparison  # the config differences


def test_each_file_of_a_run_is_read_once(runs, tmp_path, monkeypatch):
    from collections import Counter
    from pathlib import Path

    reads, read_text = Counter(), Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.update([self]) or read_text(self, *a, **k))
    result = CliRunner().invoke(cli, ["report", str(runs / "a"), "-o", str(tmp_path / "once.html")])
    assert result.exit_code == 0, result.output
    run_files = {path: count for path, count in reads.items() if runs / "a" in path.parents}
    assert runs / "a" / "config.json" in run_files and any(p.parent.name == "eval" for p in run_files)
    assert set(run_files.values()) == {1}, run_files


def test_a_folder_that_is_no_run_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["report", str(tmp_path), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and len(result.output.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_a_report_among_a_runs_own_files_is_refused(tmp_path):
    from gensynth import GensynthError

    (tmp_path / "run" / "samples").mkdir(parents=True)
    (tmp_path / "run" / "config.json").write_text("{}")
    target = tmp_path / "run" / "config.json"
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "run"), "-o", str(target)])
    assert result.exit_code == 1 and result.output == (
        f"Error: --output {target} is inside the run's own files (config, weights, checkpoints, samples, logs, eval) "
        f"and would overwrite them; choose another path\n")
    with pytest.raises(GensynthError, match=r"^output='.*report.html' is inside the run's own files"):
        api.report([tmp_path / "run"], tmp_path / "run" / "samples" / "report.html")
    assert target.read_text() == "{}" and not (tmp_path / "run" / "samples" / "report.html").exists()


#: Appended to a copy of the page: after loading, the page's title reports what the browser rendered.
PROBE = """<script>window.addEventListener("load", () => { document.title = "PROBE " + JSON.stringify({
  images: [...document.images].map(i => [i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]),
  tables: [...document.querySelectorAll("table")].map(t => t.rows.length)}); });</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium; .ci/run does)")
def test_a_real_browser_renders_the_images_and_tables(runs, tmp_path):
    from gensynth._reports.page import write_report

    page = write_report([runs / "a", runs / "c"], tmp_path / "report.html").read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    title = re.search(r"<title>PROBE (.*?)</title>", done.stdout)
    assert title, f"the page did not load in Chromium:\n{done.stdout[:2000]}"
    rendered = json.loads(title.group(1).replace("&quot;", '"'))
    expected_images = len(re.findall(r"<img ", page))
    assert len(rendered["images"]) == expected_images >= 8
    assert all(w > 0 and h > 0 and shown > 0 for w, h, shown in rendered["images"]), rendered["images"]
    assert len(rendered["tables"]) >= 7 and all(rows >= 2 for rows in rendered["tables"])
