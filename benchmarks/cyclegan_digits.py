"""CycleGAN between two real domains of handwritten digits, with and without CyCADA's semantic loss.

Domain A is the MNIST test set (``mnist:`` on ``../shared/data/mnist``); domain B
is scikit-learn's 8x8 ``digits`` upscaled to 28 px (blurry, thick strokes that fill
the frame). Each is split by position into a part the CycleGAN trains on and a
held-out part that only scoring sees: A: images 0-7,999 / 8,000-9,999; B: images
0-1,399 / 1,400-1,796.

Scoring is gensynth's ``translation`` metric: the domain classifier of the target
domain (the ``classifier`` extractor, trained on that domain's training part and
cached) reads the held-out source images translated, against their labels. The
same classifier reading the held-out source images untranslated is the source-only
baseline, and reading held-out images of its own domain the ceiling. With
``--semantic W`` a second run per seed adds the semantic-consistency loss with
weight W (``lambda_semantic``; judged by the default ``semantic_judge=auto``, one
classifier trained on both domains' training parts, never the one that scores;
``--set semantic_judge=source`` judges each direction by its source domain's). The
translation must keep the input's own label (the default ``semantic_classes=label``;
``--set semantic_classes=judge`` holds it to the judge's class of the input, CyCADA's).
``--set num_classes=10`` makes the discriminators class-conditional (a translation is
judged with its input's class) and ``--set semantic_augment=translation`` shows the
judge randomly shifted translations: with ``--semantic 1`` together, the recipe the
documentation recommends for labelled domains (at ``--steps 5000``, above 91 % in both
directions and both seeds).

    OMP_NUM_THREADS=1 python benchmarks/cyclegan_digits.py [--steps 2500] [--seeds 0 1] [--semantic 1]
        [--recipe small] [--set KEY=VALUE] [--data ../shared/data] [--out DIR]

Figures in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from gensynth import DataRequest, api, domain_classifier, load_data, quantize

A_TRAIN, B_TRAIN = 8000, 1400
#: CyCADA (Hoffman et al. 2018), MNIST -> USPS: source only, and CyCADA (pixel + feature adaptation).
CYCADA = {"source_only": 0.822, "cycada": 0.956}


def specs(data: Path) -> tuple[dict[str, str], dict[str, str]]:
    mnist = data / "mnist"
    if not (mnist / "t10k-images-idx3-ubyte.gz").is_file() and not (mnist / "t10k-images-idx3-ubyte").is_file():
        sys.exit(f"MNIST test files not found in {mnist}; pass --data FOLDER holding mnist/")
    return ({"a": f"mnist:{mnist}@:{A_TRAIN}", "b": f"digits@:{B_TRAIN}"},
            {"a": f"mnist:{mnist}@{A_TRAIN}:", "b": f"digits@{B_TRAIN}:"})


@torch.no_grad()
def classifier_accuracy(train_spec: str, images_spec: str) -> float:
    """Accuracy of the domain classifier trained on ``train_spec`` on the labelled images of ``images_spec``."""
    classifier = domain_classifier(train_spec, channels=1, image_size=28)
    data = load_data(images_spec, DataRequest(image_size=28, channels=1, labels=True))
    predicted = torch.cat([classifier.extract(quantize(part)).logits.argmax(1) for part in data.x.split(500)])
    return (predicted == data.y).float().mean().item()


def train_and_score(args, train: dict[str, str], held: dict[str, str], seed: int, semantic: float, out: Path) -> dict:
    config = {**dict(item.split("=", 1) for item in args.assignments), "lambda_semantic": semantic}
    began, began_cpu = time.perf_counter(), time.process_time()
    api.train("cyclegan", train, out, steps=args.steps, recipe=args.recipe, config=config, seed=seed,
              device=args.device, progress=sys.stderr.isatty(), log_every=100, sample_every=max(args.steps // 5, 1),
              checkpoint_every=args.steps)
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    row = {"seed": seed, "semantic": semantic, "seconds": seconds, "cpu": cpu}
    for source, target in (("a", "b"), ("b", "a")):
        direction = f"{source}2{target}"
        report = api.evaluate(out, ["translation"], reference=train[target], device=args.device, save=False,
                              params={"translation": {"source": held[source], "direction": direction}})
        row[direction] = report.results[0].values["translation_accuracy"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data",
                        help="folder holding mnist/ (default: ../shared/data beside the repository)")
    parser.add_argument("--steps", type=int, default=2500, help="CycleGAN training iterations")
    parser.add_argument("--recipe", default="small", help="CycleGAN recipe (its batch size included)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="CycleGAN config field over the recipe (repeatable)")
    parser.add_argument("--semantic", type=float, default=1.0,
                        help="lambda_semantic of the second run per seed (0: only runs without it)")
    parser.add_argument("--only-semantic", action="store_true", help="skip the runs without the semantic loss")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    train, held = specs(args.data)

    weights = ([] if args.only_semantic else [0.0]) + ([args.semantic] if args.semantic > 0 else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for seed in args.seeds:
            for semantic in weights:
                rows.append(train_and_score(args, train, held, seed, semantic, root / f"seed{seed}-sem{semantic:g}"))
                print(json.dumps(rows[-1]), flush=True)

    baseline = {"a2b": classifier_accuracy(train["b"], held["a"]), "b2a": classifier_accuracy(train["a"], held["b"])}
    ceiling = {"a2b": classifier_accuracy(train["b"], held["b"]), "b2a": classifier_accuracy(train["a"], held["a"])}
    print(f"\nCycleGAN MNIST (A) <-> digits (B), recipe {args.recipe} {' '.join(args.assignments)}, {args.steps} steps, "
          f"{torch.get_num_threads()} thread(s), device {args.device}")
    print(f"{'':<36}{'A->B (MNIST->digits)':>22}{'B->A (digits->MNIST)':>22}{'s/run':>8}")
    print(f"{'untranslated (source only)':<36}{baseline['a2b']:>22.1%}{baseline['b2a']:>22.1%}")
    for semantic in weights:
        mine = [row for row in rows if row["semantic"] == semantic]
        label = f"CycleGAN{f' + semantic {semantic:g}' if semantic else ''} (seeds {' '.join(str(r['seed']) for r in mine)})"
        cells = ["  ".join(f"{row[d]:.1%}" for row in mine) for d in ("a2b", "b2a")]
        print(f"{label:<36}{cells[0]:>22}{cells[1]:>22}{sum(r['seconds'] for r in mine) / len(mine):>8.0f}")
    print(f"{'classifier on its own domain':<36}{ceiling['a2b']:>22.1%}{ceiling['b2a']:>22.1%}")
    print(f"{'CyCADA, MNIST->USPS (published)':<36}{'source only ' + format(CYCADA['source_only'], '.1%'):>22}"
          f"{'CyCADA ' + format(CYCADA['cycada'], '.1%'):>22}")


if __name__ == "__main__":
    main()
