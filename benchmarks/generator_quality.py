"""Quality of the digits generator that GLaD / H-PD use: the share of generated images a real-data ConvNet assigns to
their
class (per class and overall), and diversity (per-class pixel spread of generated / real images; ≈1 as varied as the
data,
≪1 mode collapse). Trains (and caches) the generator and the classifier when they are not cached yet.

    python benchmarks/generator_quality.py                           # the default recipe (600 steps, mode-seeking 0.1)
    python benchmarks/generator_quality.py --steps 600 --mode-seeking 0 1
"""

import argparse, json, time
from dd_nb.data import digits
from dd_nb.generator import cached_generator, real_classifier, generator_quality


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--steps', type=int, default=600)
    ap.add_argument('--mode-seeking', type=float, nargs='+', default=[0.1])
    ap.add_argument('--n', type=int, default=100, help='generated images per class')
    a = ap.parse_args()
    real = digits()
    clf = real_classifier(real)
    for lam in a.mode_seeking:
        t0 = time.time()
        G = cached_generator(real, steps=a.steps, mode_seeking=lam)
        q = generator_quality(G, real, clf, n=a.n)
        print(
            json.dumps(
                dict(
                    steps=a.steps,
                    mode_seeking=lam,
                    seconds=round(time.time() - t0),
                    recognised=round(q['mean'], 4),
                    diversity=round(q['diversity'], 3),
                    per_class=[round(v, 3) for v in q['per_class']],
                    classifier_real_test=round(q['real_test_accuracy'], 4),
                )
            )
        )


if __name__ == '__main__':
    main()
