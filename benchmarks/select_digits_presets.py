"""Choose the digits presets on the validation split (never on test).

For every (method, ipc) and every candidate learning rate of the synthetic images, distil with the
preset's other settings, train `--models` fresh ConvNets on the result under the method's protocol
and score them on the *validation* split. Prints the table and the winner per (method, ipc); the
winners go into `DIGITS_PRESETS` in `nbs/16_methods.ipynb`, the table into `DIGITS_SELECTION`.

    python benchmarks/select_digits_presets.py --methods dm --ipcs 1,10 --lrs 0.3,1,3,10
"""
import argparse, json
from dd_nb.data import digits
from dd_nb.methods import build
from dd_nb.distill import Distiller
from dd_nb.evaluate import Evaluator

PROTOCOL = {'dc': 'dc-classic', 'dsa': 'dsa', 'dm': 'dm'}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--methods', default='dm'); ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--lrs', default='0.3,1,3'); ap.add_argument('--iterations', type=int, default=None)
    ap.add_argument('--models', type=int, default=3); ap.add_argument('--out', default='select_digits.json')
    a = ap.parse_args()
    real, results = digits(), {}
    for method in a.methods.split(','):
        for ipc in map(int, a.ipcs.split(',')):
            scores = {}
            for lr in map(float, a.lrs.split(',')):
                p, m, its, cfg = build(method, real, ipc, lr_img=lr, iterations=a.iterations)
                Distiller(p, m, real, its, progress=False).run()
                x, y = p()
                r = Evaluator(real, PROTOCOL[method], models=a.models, split='val', progress=False).evaluate(x.detach(), y)
                scores[lr] = r.mean
                print(f'{method} ipc {ipc} lr_img {lr:g} ({its} it): val {100 * r.mean:.2f} ± {100 * r.std:.2f}', flush=True)
            best = max(scores, key=scores.get)
            results[f'{method}/{ipc}'] = dict(scores=scores, best_lr_img=best)
            print(f'==> {method} ipc {ipc}: lr_img {best:g}', flush=True)
    json.dump(results, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
