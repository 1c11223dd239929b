"""Equal-work yardsticks (issue 22, first step): dd_nb's distillation iteration against a plain reference of the same
iteration, in the same process, interleaved, on the same real data, with the FLOPs of both counted.

The reference is the official algorithm written in plain PyTorch (eager, fp32, no compile, no fusion, the official
loop structure: one class at a time). DM, and DC / DSA at IPC 1, are here so far; the trajectory methods follow the same
pattern. The CPU, its flags that matter (AVX2, AVX-512, AVX512-BF16, AMX), the thread count and a matmul in fp32 and
bf16 are measured in the same run, so a ratio never leans on a figure from another machine.

    python benchmarks/yardstick.py                       # DM at IPC 1 and 10, 2 warm-up + 10 timed iterations each
    python benchmarks/yardstick.py --ipcs 1 --iterations 5 --threads 1

Rows are appended to benchmarks/results/yardstick.jsonl (one per method and IPC, with the machine's facts).
"""

import argparse, json, statistics, time
from pathlib import Path
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
from dd_nb.data import digits
from dd_nb.nets import get_net
from dd_nb.augment import DSA
from dd_nb.methods import build
from dd_nb.distill import Distiller
from eval_speed import cpu_model, matmul_gflops

RESULTS = Path(__file__).parent / 'results' / 'yardstick.jsonl'
# CPU flags that decide whether reduced precision runs natively (/proc/cpuinfo names)
FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')
MATMUL_N = 1024  # size of the square matmul timed in fp32 and bf16


def cpu_flags() -> dict:
    "Which of `FLAGS` this CPU has."
    try:
        have = next(set(l.split(':', 1)[1].split()) for l in open('/proc/cpuinfo') if l.startswith('flags'))
    except (OSError, StopIteration):
        have = set()
    return {f: f in have for f in FLAGS}


class PlainDM:
    "The official DM iteration (main_DM.py) in plain PyTorch: a fresh frozen ConvNet, one class at a time, eager fp32."

    def __init__(self, real, images, labels, batch_real, lr_img, seed=0):
        self.real, self.batch_real = real, batch_real
        self.images = images.detach().clone().requires_grad_(True)
        self.labels = labels
        self.opt = torch.optim.SGD([self.images], lr=lr_img, momentum=0.5)
        self.aug = DSA(real.dsa_strategy)
        self.g = torch.Generator().manual_seed(seed)

    def iteration(self):
        r = self.real
        net = get_net('ConvNet', r.channels, r.num_classes, r.im_size, seed=int(torch.randint(2**31 - 1, (1,))))
        net.train()
        for p in net.parameters():
            p.requires_grad_(False)
        loss = torch.tensor(0.0)
        for c in range(r.num_classes):
            xr = r.batch(c, self.batch_real, self.g)
            xs = self.images[self.labels == c]
            seed = int(torch.randint(2**31 - 1, (1,), generator=self.g))
            xr, xs = self.aug(xr, seed=seed), self.aug(xs, seed=seed)
            er = net.embed(xr).detach()
            es = net.embed(xs)
            loss = loss + ((er.mean(0) - es.mean(0)) ** 2).sum()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def distance_wb(gwr, gws):
    "The official layer-wise gradient distance ('ours'): 1 − cosine per output row, summed; biases contribute 0."
    shape = gwr.shape
    if len(shape) == 1:
        return torch.tensor(0.0)
    gwr, gws = gwr.reshape(shape[0], -1), gws.reshape(shape[0], -1)
    return torch.sum(1 - torch.sum(gwr * gws, dim=-1) / (gwr.norm(dim=-1) * gws.norm(dim=-1) + 1e-6))


class PlainGM(PlainDM):
    "The official DC / DSA iteration at IPC 1 (one outer loop, so no network update): one class at a time, eager."

    def __init__(self, real, images, labels, batch_real, lr_img, seed=0, dsa=True):
        # dd_nb draws one real-batch size for every class, capped at the smallest class (one shape to compile); the
        # official code draws min(256, class size) per class. Equal work means the same batches: the reference takes
        # dd_nb's size (digits: 118 real images per class instead of 118–123, 2.5 % fewer FLOPs than the official loop)
        super().__init__(real, images, labels, min(batch_real, min(real.class_counts())), lr_img, seed)
        self.dsa = dsa

    def iteration(self):
        r = self.real
        net = get_net('ConvNet', r.channels, r.num_classes, r.im_size, seed=int(torch.randint(2**31 - 1, (1,))))
        net.train()
        params = list(net.parameters())
        loss = torch.tensor(0.0)
        for c in range(r.num_classes):
            xr = r.batch(c, self.batch_real, self.g)
            xs = self.images[self.labels == c]
            if self.dsa:
                seed = int(torch.randint(2**31 - 1, (1,), generator=self.g))
                xr, xs = self.aug(xr, seed=seed), self.aug(xs, seed=seed)
            yr = torch.full((len(xr),), c)
            ys = torch.full((len(xs),), c)
            gr = [g.detach() for g in torch.autograd.grad(F.cross_entropy(net(xr), yr), params)]
            gs = torch.autograd.grad(F.cross_entropy(net(xs), ys), params, create_graph=True)
            loss = loss + sum(distance_wb(a, b) for a, b in zip(gr, gs))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def flops(fn) -> int:
    "FLOPs of one call of `fn` (forward and backward), counted by torch."
    with FlopCounterMode(display=False) as fc:
        fn()
    return fc.get_total_flops()


# the plain reference of each method (DC and DSA at IPC 1 only: one outer loop, as the official code at IPC 1)
PLAIN = {'dm': PlainDM, 'dsa': PlainGM, 'dc': lambda *a, **k: PlainGM(*a, dsa=False, **k)}


def pair(method, real, ipc, seed=0):
    "(plain step, dd_nb step, dd_nb step without compile for counting) at equal settings: the digits preset."
    p, m, _, cfg = build(method, real, ipc, seed=seed, init='real')
    x, y = p()
    plain = PLAIN[method](real, x, y, cfg['batch_real'], cfg['lr_img'], seed=seed)
    d = Distiller(p, m, real, 10**9, seed=seed, progress=False)
    d.matcher.prepare(real, ipc)

    def ours():
        d._iteration()
        d.it += 1

    p2, m2, _, _ = build(method, real, ipc, seed=seed, init='real')
    m2.compile = False
    d2 = Distiller(p2, m2, real, 10**9, seed=seed, progress=False)
    d2.matcher.prepare(real, ipc)
    return plain.iteration, ours, d2._iteration, cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--methods', default='dm,dsa,dc')
    ap.add_argument('--ipcs', default='1,10', help='DC and DSA: IPC 1 only')
    ap.add_argument('--iterations', type=int, default=10, help='timed iterations of each side (after 2 warm-ups)')
    ap.add_argument('--threads', type=int, default=None)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    facts = dict(
        cpu=cpu_model(),
        flags=cpu_flags(),
        threads=torch.get_num_threads(),
        matmul_fp32_gflops=round(matmul_gflops(MATMUL_N, dtype=torch.float32), 1),
        matmul_bf16_gflops=round(matmul_gflops(MATMUL_N, dtype=torch.bfloat16), 1),
        torch=torch.__version__,
    )
    print(json.dumps(facts))
    real = digits()
    jobs = [(m, int(i)) for m in a.methods.split(',') for i in a.ipcs.split(',') if m == 'dm' or i == '1']
    for method, ipc in jobs:
        plain, ours, ours_eager, cfg = pair(method, real, ipc)
        f_plain, f_ours = flops(plain), flops(ours_eager)
        t0 = time.perf_counter()
        ours()
        first = time.perf_counter() - t0  # includes the compile of the embedding
        plain()
        ours()
        tp, to = [], []
        for _ in range(a.iterations):  # interleaved, so a slow spell of the machine hits both sides
            t = time.perf_counter()
            plain()
            tp.append(time.perf_counter() - t)
            t = time.perf_counter()
            ours()
            to.append(time.perf_counter() - t)
        row = dict(
            method=method,
            ipc=ipc,
            batch_real=cfg['batch_real'],
            plain_s=statistics.median(tp),
            dd_nb_s=statistics.median(to),
            dd_nb_first_s=first,
            plain_gflop=f_plain / 1e9,
            dd_nb_gflop=f_ours / 1e9,
            iterations=a.iterations,
            **facts,
        )
        row['ratio'] = row['dd_nb_s'] / row['plain_s']
        print(
            f"{method} ipc {ipc}: plain {row['plain_s']:.3f} s/it ({row['plain_gflop']:.2f} GFLOP), dd_nb "
            f"{row['dd_nb_s']:.3f} s/it ({row['dd_nb_gflop']:.2f} GFLOP; first {first:.1f} s with compile): "
            f"ratio {row['ratio']:.2f}",
            flush=True,
        )
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with open(RESULTS, 'a') as f:
            f.write(json.dumps(row) + '\n')


if __name__ == '__main__':
    main()
