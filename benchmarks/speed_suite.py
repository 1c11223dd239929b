"""The speed benchmarks of issue 8 in one command, one after another (never two at once on a 2-core machine):

1. `matcher_speed.py`: seconds per iteration, GFLOP/s, peak memory and 5-model evaluation time for every method
   at IPC 1 and 10, against the official code's seconds per iteration (one thread);
2. `eval_speed.py`: the Evaluator against the plain one-model-at-a-time loop, with a matmul measured in the same run;
3. `tesla_memory.py`: peak memory of MTT's unroll and TESLA as `syn_steps` grows.

    python benchmarks/speed_suite.py                 # everything (about 40 minutes on 2 quiet cores)
    python benchmarks/speed_suite.py --quick         # fewer models and epochs, no 5-model evaluations (about 10
    minutes)
    python benchmarks/speed_suite.py --threads 2     # the timed runs on 2 threads (default 1, as the official figures)

Each script's own output is printed as it runs; `--out DIR` also keeps the JSON rows of the first two.
"""

import argparse, subprocess, sys
from pathlib import Path

HERE = Path(__file__).parent


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--out', default=None)
    ap.add_argument('--threads', type=int, default=1, help='torch threads of the timed runs (the official figures: 1)')
    a = ap.parse_args()
    out = Path(a.out) if a.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    keep = lambda name: ['--out', str(out / name)] if out else []
    th = ['--threads', str(a.threads)]
    runs = [
        ['matcher_speed.py', *th, *(['--eval-models', '0'] if a.quick else []), *keep('matcher_speed.json')],
        ['eval_speed.py', *th, *(['--models', '2', '--epochs', '200'] if a.quick else []), *keep('eval_speed.json')],
        ['tesla_memory.py', *(['--steps', '5,20'] if a.quick else [])],
    ]
    for args in runs:
        print(f"\n== python benchmarks/{' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], check=True, cwd=HERE)


if __name__ == '__main__':
    main()
