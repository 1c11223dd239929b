"""The digits results table: every method × IPC distilled with its digits preset, evaluated with 5 fresh
ConvNet-3s under the method's protocol beside the random-real baseline under the same protocol.
Each run is one `dd_nb_distill` process (its own peak memory); runs go one after another (2 cores).

    python benchmarks/digits_table.py                                  # all methods, ipc 1 and 10
    python benchmarks/digits_table.py --methods mtt,tesla --ipcs 1
"""

import argparse, json, subprocess, sys
from pathlib import Path

OFFICIAL = {
    ('dm', 1): '93.38 ± 0.49',
    ('dm', 10): '98.09 ± 0.30',
    ('dsa', 1): '92.40 ± 0.53',
    ('dsa', 10): '98.09 ± 0.46',
    ('dc', 1): '80.18 ± 1.59',
    ('dc', 10): '88.58 ± 1.17',
    ('mtt', 1): '28.76 ± 1.60',
    ('mtt', 10): '95.11 ± 0.40',
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--methods', default='dc,dsa,dm,mtt,tesla,datm')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--out', default='runs/digits')
    ap.add_argument('--models', type=int, default=5)
    ap.add_argument('--rerun', action='store_true', help='distil again even when OUT/METHODipc/report.json exists')
    a = ap.parse_args()
    rows = []
    for method in a.methods.split(','):
        for ipc in map(int, a.ipcs.split(',')):
            out = Path(a.out) / f'{method}{ipc}'
            if a.rerun or not (out / 'report.json').is_file():
                subprocess.run(
                    [
                        'dd_nb_distill',
                        '--method',
                        method,
                        '--ipc',
                        str(ipc),
                        '--out',
                        str(out),
                        '--no-full',
                        '--models',
                        str(a.models),
                        '--quiet',
                    ],
                    check=True,
                )
            r = json.loads((out / 'report.json').read_text())
            rows.append((method, ipc, r))
    print(
        '| method | IPC | iterations | dd_nb % | random real % (same protocol) | official code % | s / iteration | '
        'peak RSS MB |'
    )
    print('|---|---|---|---|---|---|---|---|')
    for method, ipc, r in rows:
        print(
            f"| {method} | {ipc} | {r['iterations']} | {100 * r['accuracy_mean']:.2f} ± "
            f"{100 * r['accuracy_std']:.2f} | "
            f"{100 * r['random_mean']:.2f} ± {100 * r['random_std']:.2f} | {OFFICIAL.get((method, ipc), '–')} | "
            f"{r['seconds_per_iteration']:.3f} | {r.get('peak_rss_mb', '–')} |"
        )


if __name__ == '__main__':
    main()
