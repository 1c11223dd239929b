"""Evaluator speed vs the plain one-model-at-a-time eager loop, at equal work.

K fresh ConvNet-3s trained on a random digits subset (IPC 10) under the DSA protocol recipe
(SGD 0.01, momentum 0.9, wd 5e-4, batch 256, DSA per batch, lr x0.1 at half), one after another:
  plain  = the official-style loop: eager module, torch.optim.SGD, our DSA;
  dd_nb  = dd_nb.evaluate.Evaluator (compiled, channels-last on CPU).
Prints seconds, achieved GFLOP/s (FLOPs of one training step counted by torch's FlopCounterMode,
times the number of steps) and a 2048^2 fp32 matmul's GFLOP/s measured in the same run.

    python benchmarks/eval_speed.py [--models 5] [--epochs 1000] [--ipc 10] [--threads N]
"""

import argparse, json, time, os
import torch, torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
from dd_nb.data import digits
from dd_nb.nets import get_net
from dd_nb.augment import DSA
from dd_nb.evaluate import Evaluator
from dd_nb.train import Protocol, accuracy


def cpu_model() -> str:
    "The CPU's model name (speed ratios against figures taken elsewhere depend on it)."
    try:
        return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration):
        import platform

        return platform.processor() or 'unknown'


def matmul_gflops(n=2048, reps=10, dtype=torch.float32):
    "GFLOP/s of an n × n matmul in `dtype`, measured now."
    a = torch.randn(n, n).to(dtype)
    a @ a
    t = time.perf_counter()
    for _ in range(reps):
        a @ a
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def step_flops(real, x, y):
    net = get_net('ConvNet', real.channels, real.num_classes, real.im_size, seed=0)
    with FlopCounterMode(display=False) as fc:
        F.cross_entropy(net(x), y).backward()
    return fc.get_total_flops()


def plain_loop(real, x, y, p: Protocol, models, seed):
    "What the official evaluate_synset does, model after model."
    dsa, accs = DSA(real.dsa_strategy), []
    for k in range(models):
        net = get_net('ConvNet', real.channels, real.num_classes, real.im_size, seed=seed + k)
        g = torch.Generator().manual_seed(seed + k)
        opt = torch.optim.SGD(net.parameters(), lr=p.lr, momentum=p.momentum, weight_decay=p.weight_decay)
        for ep in range(p.epochs):
            if ep == p.epochs // 2:
                opt = torch.optim.SGD(net.parameters(), lr=p.lr * 0.1, momentum=p.momentum, weight_decay=p.weight_decay)
            perm = torch.randperm(len(x), generator=g)
            for i in range(0, len(x), p.batch):
                idx = perm[i : i + p.batch]
                xb = dsa(x[idx], generator=g) if p.augment else x[idx]
                loss = F.cross_entropy(net(xb), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        accs.append(accuracy(net, real.test))
    return accs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--models', type=int, default=5)
    ap.add_argument('--epochs', type=int, default=1000)
    ap.add_argument('--ipc', type=int, default=10)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--out', default=None)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    real = digits()
    x, y = real.random_subset(a.ipc, seed=a.seed)
    p = Protocol('bench-dsa', a.epochs, augment=True)
    steps = a.models * a.epochs * -(-len(x) // p.batch)
    flops = step_flops(real, x, y) * steps
    mm0 = matmul_gflops()
    t = time.perf_counter()
    accs_plain = plain_loop(real, x, y, p, a.models, a.seed)
    t_plain = time.perf_counter() - t
    mm1 = matmul_gflops()
    ev = Evaluator(real, p, models=a.models, seed=a.seed, progress=False)
    t = time.perf_counter()
    res = ev.evaluate(x, y)
    t_ours = time.perf_counter() - t
    mm2 = matmul_gflops()
    out = dict(
        cpu=cpu_model(),
        models=a.models,
        epochs=a.epochs,
        ipc=a.ipc,
        steps=steps,
        threads=torch.get_num_threads(),
        plain_seconds=t_plain,
        ours_seconds=t_ours,
        speedup=t_plain / t_ours,
        plain_gflops=flops / t_plain / 1e9,
        ours_gflops=flops / t_ours / 1e9,
        matmul_gflops=[mm0, mm1, mm2],
        plain_acc=accs_plain,
        ours_acc=res.accs,
    )
    print(
        f"K={a.models} ConvNet-3, digits IPC {a.ipc}, {a.epochs} epochs with DSA, {steps} steps, {out['threads']} "
        f"threads, {out['cpu']}"
    )
    print(
        f"plain eager loop : {t_plain:8.1f} s  {out['plain_gflops']:6.1f} GFLOP/s  acc "
        f"{100 * sum(accs_plain) / len(accs_plain):.2f} %"
    )
    print(
        f"dd_nb Evaluator  : {t_ours:8.1f} s  {out['ours_gflops']:6.1f} GFLOP/s  acc {100 * res.mean:.2f} %  "
        f"(incl. compile)"
    )
    print(
        f"2048² matmul     : {', '.join(f'{m:.0f}' for m in out['matmul_gflops'])} GFLOP/s (before / between / after)"
    )
    print(f"speed-up         : {out['speedup']:.2f}×")
    if a.out:
        json.dump(out, open(a.out, 'w'), indent=1)


if __name__ == '__main__':
    main()
