"""Honest speed in one command (issue 22): every method's distillation iteration against a plain reference of the same
iteration, and the evaluator against the plain one-model-at-a-time loop, each measured in one process, interleaved, at
equal work, on the machine at hand.

1. `yardstick.py`: plain reference s/it, dd_nb s/it in fp32 and in the fast setting (`precision='auto'`: bf16 where
   the CPU computes it natively, else fp32), ratios, FLOPs per iteration of each side, peak memory of one iteration;
2. `eval_speed.py`: 5 ConvNets trained by the `Evaluator` against the plain loop, FLOPs counted on both sides;
3. the table, with the CPU's model, flags, thread count and a matmul in fp32 and bf16 measured in the same run.

    python benchmarks/speed_suite.py                  # everything (about 25 minutes on 2 AVX2 cores)
    python benchmarks/speed_suite.py --quick          # IPC 1 only, 3 timed iterations, 2 models × 300 epochs
    python benchmarks/speed_suite.py --threads 1      # one thread (the official code's figures were taken so)

The rows are appended to benchmarks/results/yardstick.jsonl and eval_speed.jsonl; `--table FILE` also writes the
table as Markdown.
"""

import argparse, json, subprocess, sys, tempfile
from pathlib import Path

HERE = Path(__file__).parent
YARDSTICK = HERE / 'results' / 'yardstick.jsonl'
EVAL = HERE / 'results' / 'eval_speed.jsonl'
NAMES = {'dm': 'DM', 'dc': 'DC', 'dsa': 'DSA', 'mtt': 'MTT', 'tesla': 'TESLA', 'datm': 'DATM'}


def run(args):
    print(f"\n== python benchmarks/{' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], check=True, cwd=HERE)


def lines(path) -> int:
    return sum(1 for _ in open(path)) if path.is_file() else 0


def table(rows, ev) -> str:
    "The Markdown table of the yardstick rows and the evaluator row."
    f = rows[0]
    flags = ', '.join(k.upper() for k, v in f['flags'].items() if v) or 'none of AVX2 / AVX-512 / BF16 / AMX'
    out = [
        f"{f['cpu']} ({flags}), {f['threads']} threads, torch {f['torch']}; matmul 1024²: "
        f"{f['matmul_fp32_gflops']:.0f} GFLOP/s fp32, {f['matmul_bf16_gflops']:.1f} GFLOP/s bf16. Fast setting: "
        f"precision 'auto' = {f['fast_precision']}.",
        '',
        '| method | IPC | plain s/it | dd_nb s/it fp32 | ratio | dd_nb s/it fast | ratio fast | GFLOP/it plain / '
        'dd_nb | GFLOP/s plain / dd_nb | peak MB plain / dd_nb |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        out.append(
            f"| {NAMES.get(r['method'], r['method'])} | {r['ipc']} | {r['plain_s']:.3f} | {r['dd_nb_s']:.3f} | "
            f"**{r['ratio']:.2f}×** | {r['dd_nb_fast_s']:.3f} | {r['ratio_fast']:.2f}× | "
            f"{r['plain_gflop']:.2f} / {r['dd_nb_gflop']:.2f} | {r['plain_gflop'] / r['plain_s']:.0f} / "
            f"{r['dd_nb_gflop'] / r['dd_nb_s']:.0f} | {r['plain_peak_mb']:.0f} / {r['dd_nb_peak_mb']:.0f} |"
        )
    if ev:
        out += [
            '',
            f"Evaluation, {ev['models']} ConvNet-3 × {ev['epochs']} epochs (digits IPC {ev['ipc']}, DSA recipe, "
            f"{ev['steps']} steps, {ev['plain_gflops'] * ev['plain_seconds']:.0f} GFLOP on each side): plain loop "
            f"{ev['plain_seconds']:.1f} s, Evaluator {ev['ours_seconds']:.1f} s (compile included): "
            f"**{ev['speedup']:.2f}× faster**; final accuracy {100 * sum(ev['plain_acc']) / len(ev['plain_acc']):.2f} "
            f"vs {100 * sum(ev['ours_acc']) / len(ev['ours_acc']):.2f} %.",
        ]
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--methods', default='dm,dc,dsa,mtt,tesla,datm')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--iterations', type=int, default=5, help='timed iterations of each side')
    ap.add_argument('--threads', type=int, default=None, help='torch threads (default: all cores)')
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--no-eval', action='store_true', help="skip the evaluator's yardstick")
    ap.add_argument('--table', default=None, help='also write the Markdown table here')
    a = ap.parse_args()
    th = ['--threads', str(a.threads)] if a.threads else []
    ipcs, its = ('1', 3) if a.quick else (a.ipcs, a.iterations)
    start = lines(YARDSTICK)
    run(['yardstick.py', '--methods', a.methods, '--ipcs', ipcs, '--iterations', str(its), *th])
    rows = [json.loads(l) for l in open(YARDSTICK)][start:]
    ev = None
    if not a.no_eval:
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / 'eval.json'
            quick = ['--models', '2', '--epochs', '300'] if a.quick else []
            run(['eval_speed.py', *quick, *th, '--out', str(out)])
            ev = json.loads(out.read_text())
        with open(EVAL, 'a') as f:
            f.write(json.dumps(ev) + '\n')
    text = table(rows, ev)
    print('\n' + text)
    if a.table:
        Path(a.table).write_text(text + '\n')


if __name__ == '__main__':
    main()
