"""Choose the digits (or `--dataset fashion-mnist`) presets on the validation split (never on test).

For every (method, ipc) and every combination of candidate settings, distil with the preset's other
settings, train `--models` fresh ConvNets on the result under the method's protocol and score them on
the *validation* split. Prints the table and the winner per (method, ipc); the winners go into
the method's preset file `dd_nb/presets/<method>.toml` (`[digits.<ipc>]`), the table into its `selection`.

    python benchmarks/select_digits_presets.py --methods dm --ipcs 1,10 --grid "lr_img=0.3,1,3,10"
    python benchmarks/select_digits_presets.py --methods mtt --ipcs 1 --grid "lr_img=100,1000 syn_steps=10,20"
    --iterations 200
    python benchmarks/select_digits_presets.py --param glad --methods dm --ipcs 1 --grid "lr_img=1,10,100
    lr_w=0.01,0.1" --iterations 200 --models 2
    python benchmarks/select_digits_presets.py --methods hmn --ipcs 10 --grid "lr_net=0.01,0.003,0.001,0.0003" \
        --set "over_budget=0.0 prune=False" --iterations 1 --models 1 --protocol fast

`--dataset` picks any `dd_nb.data.load_data` set (the winners go into `[<dataset>.<ipc>]`); the scores are written to
`--out` after every setting, so an interrupted search keeps what it scored.

`--param glad` distils GLaD latents (`dd_nb.glad.build_glad`, the cached digits generator, its middle stage) instead of
pixels: how GLaD's learning rates (`GLAD_LRS`, the official ones for StyleGAN-XL) are chosen for digits.
"""

import argparse, ast, itertools, json
from dd_nb.data import load_data
from dd_nb.methods import build
from dd_nb.glad import build_glad
from dd_nb.distill import Distiller
from dd_nb.evaluate import Evaluator
from dd_nb.matcher import METHODS


def parse_grid(text):
    "'lr_img=1,10 syn_steps=10,20' → {'lr_img': [1, 10], 'syn_steps': [10, 20]}"
    return {
        k: [ast.literal_eval(v) for v in vs.split(',')] for k, _, vs in (item.partition('=') for item in text.split())
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='digits')
    ap.add_argument('--methods', default='dm')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--grid', default='lr_img=0.3,1,3')
    ap.add_argument('--set', default='', help='fixed overrides KEY=VALUE')
    ap.add_argument('--iterations', type=int, default=None)
    ap.add_argument('--protocol', default=None, help="evaluation protocol on val (default: the method's own)")
    ap.add_argument('--param', default='pixels', choices=['pixels', 'glad'], help='distil pixels or GLaD latents')
    ap.add_argument('--models', type=int, default=3)
    ap.add_argument('--out', default='select_digits.json')
    a = ap.parse_args()
    real, results, grid = load_data(a.dataset), {}, parse_grid(a.grid)
    fixed = {k: ast.literal_eval(v) for k, _, v in (i.partition('=') for i in a.set.split())}
    for method in a.methods.split(','):
        for ipc in map(int, a.ipcs.split(',')):
            scores = {}
            for combo in itertools.product(*grid.values()):
                setting = dict(zip(grid, combo))
                p, m, its, cfg = (build if a.param == 'pixels' else build_glad)(
                    method, real, ipc, iterations=a.iterations, **fixed, **setting
                )
                Distiller(p, m, real, its, progress=False).run()
                x, y = p()
                r = Evaluator(
                    real, a.protocol or METHODS[method].protocol, models=a.models, split='val', progress=False
                ).evaluate(x.detach(), y.detach(), lr=None if p.lr is None else p.lr.detach())
                key = ' '.join(f'{k}={v}' for k, v in setting.items())
                scores[key] = r.mean
                print(f'{method} ipc {ipc} {key} ({its} it): val {100 * r.mean:.2f} ± {100 * r.std:.2f}', flush=True)
                results[f'{method}/{ipc}' if a.param == 'pixels' else f'glad/{method}/{ipc}'] = dict(
                    dataset=a.dataset, scores=scores, fixed=fixed, iterations=a.iterations
                )
                json.dump(results, open(a.out, 'w'), indent=1)  # nothing scored is lost on interruption
            best = max(scores, key=scores.get)
            results[f'{method}/{ipc}' if a.param == 'pixels' else f'glad/{method}/{ipc}'] = dict(
                dataset=a.dataset, scores=scores, best=best, fixed=fixed, iterations=a.iterations
            )
            print(f'==> {method} ipc {ipc}: {best}', flush=True)
    json.dump(results, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
