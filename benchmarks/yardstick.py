"""Equal-work yardsticks (issue 22): dd_nb's distillation iteration against a plain reference of the same iteration,
in the same process, interleaved, on the same real data, with the FLOPs of both counted.

A reference is the official algorithm written in plain PyTorch: eager, fp32, no compile, no fusion, the official loop
structure (DC / DSA / DM one class at a time; MTT, TESLA and DATM on one flat parameter vector, as the official
`ReparamModule`). It draws its networks, real batches and augmentations from its own generator in the order dd_nb's
matcher does, so with the same seed both compute the same loss and image gradient (`tests/test_yardstick.py` checks
it for every method) and the timing compares the same work. The CPU, its flags that matter (AVX2, AVX-512,
AVX512-BF16, AMX), the thread count and a matmul in fp32 and bf16 are measured in the same run, so a ratio never leans
on a figure from another machine.

    python benchmarks/yardstick.py                                  # every method at IPC 1 and 10
    python benchmarks/yardstick.py --methods dm,dsa --ipcs 1 --iterations 5 --threads 1

Rows are appended to benchmarks/results/yardstick.jsonl (one per method and IPC, with the machine's facts).
`benchmarks/speed_suite.py` runs this and the evaluator's yardstick and prints the table.
"""

import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path
import torch
import torch.nn.functional as F
from torch.func import functional_call
from torch.utils.flop_counter import FlopCounterMode
from dd_nb.core import cpu_flags, resolve_precision
from dd_nb.data import digits
from dd_nb.nets import get_net, unflatten
from dd_nb.augment import DSA
from dd_nb.train import soft_cross_entropy
from dd_nb.methods import build
from dd_nb.distill import Distiller
from eval_speed import cpu_model, matmul_gflops

RESULTS = Path(__file__).parent / 'results' / 'yardstick.jsonl'
# CPU flags that decide whether reduced precision runs natively (/proc/cpuinfo names)
FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')
MATMUL_N = 1024  # size of the square matmul timed in fp32 and bf16
# (peak memory runs only) glibc returns freed blocks above this size at once: the peak RSS of one iteration shows
MMAP_THRESHOLD = '65536'


def append_row(path, row: dict):
    "Append one JSON row to a results file (a run that stops keeps the rows it finished)."
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a') as f:
        f.write(json.dumps(row) + '\n')


def machine() -> dict:
    "The facts a time depends on, measured now."
    have = cpu_flags()
    return dict(
        cpu=cpu_model(),
        flags={f: f in have for f in FLAGS},
        threads=torch.get_num_threads(),
        matmul_fp32_gflops=round(matmul_gflops(MATMUL_N, dtype=torch.float32), 1),
        matmul_bf16_gflops=round(matmul_gflops(MATMUL_N, reps=2, dtype=torch.bfloat16), 1),
        torch=torch.__version__,
    )


class Plain:
    "A plain reference: `begin()` starts an iteration (its network), `loss()` one step's loss, `iteration()` all."

    def __init__(self, real, images, labels, cfg, seed=0):
        self.real, self.cfg = real, cfg
        self.images = images.detach().clone().requires_grad_(True)
        self.labels = labels.detach().clone()
        self.opt = torch.optim.SGD([self.images], lr=cfg['lr_img'], momentum=0.5)
        self.aug = DSA(real.dsa_strategy)
        self.g = torch.Generator().manual_seed(seed)
        self.it = 0

    def randint(self, high=2**31 - 1) -> int:
        return int(torch.randint(high, (1,), generator=self.g))

    def net(self):
        r = self.real
        return get_net(
            self.cfg['net'], r.channels, r.num_classes, r.im_size, width=self.cfg['width'], seed=self.randint()
        )

    def step(self, loss):
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def iteration(self):
        self.begin()
        loss = self.loss()
        self.step(loss)
        self.it += 1
        return float(loss.detach())


class PlainDM(Plain):
    "The official DM iteration (main_DM.py): a fresh frozen ConvNet, one class at a time, eager fp32."

    def begin(self):
        self.model = self.net()
        self.model.train()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def loss(self):
        r, loss = self.real, torch.tensor(0.0)
        for c in range(r.num_classes):
            xr = r.batch(c, self.cfg['batch_real'], self.g)
            xs = self.images[self.labels == c]
            seed = self.randint()
            xr, xs = self.aug(xr, seed=seed), self.aug(xs, seed=seed)
            er = self.model.embed(xr).detach()
            es = self.model.embed(xs)
            loss = loss + ((er.mean(0) - es.mean(0)) ** 2).sum()
        return loss


def distance_wb(gwr, gws):
    "The official layer-wise gradient distance ('ours'): 1 − cosine per output row, summed; biases contribute 0."
    shape = gwr.shape
    if len(shape) == 1:
        return torch.tensor(0.0)
    gwr, gws = gwr.reshape(shape[0], -1), gws.reshape(shape[0], -1)
    return torch.sum(1 - torch.sum(gwr * gws, dim=-1) / (gwr.norm(dim=-1) * gws.norm(dim=-1) + 1e-6))


class PlainGM(Plain):
    """The official DC / DSA iteration: `outer_loop` matching steps, one class at a time, each followed (but the last)
    by `inner_loop` epochs of the network on the synthetic set (plain SGD, batch 256), eager."""

    def __init__(self, real, images, labels, cfg, seed=0, dsa=True, loops=(1, 1)):
        super().__init__(real, images, labels, cfg, seed)
        # dd_nb draws one real-batch size for every class, capped at the smallest class (one shape to compile); the
        # official code draws min(256, class size) per class. Equal work means the same batches: the reference takes
        # dd_nb's size (digits: 118 real images per class instead of 118–123, 2.5 % fewer FLOPs than the official loop)
        self.n_real = min(cfg['batch_real'], min(real.class_counts()))
        self.dsa, (self.outer_loop, self.inner_loop) = dsa, loops

    def begin(self):
        self.model = self.net()
        self.model.train()
        self.params = list(self.model.parameters())

    def loss(self):
        r, loss = self.real, torch.tensor(0.0)
        for c in range(r.num_classes):
            xr = r.batch(c, self.n_real, self.g)
            xs = self.images[self.labels == c]
            if self.dsa:
                seed = self.randint()
                xr, xs = self.aug(xr, seed=seed), self.aug(xs, seed=seed)
            yr = torch.full((len(xr),), c)
            ys = torch.full((len(xs),), c)
            gr = [g.detach() for g in torch.autograd.grad(F.cross_entropy(self.model(xr), yr), self.params)]
            gs = torch.autograd.grad(F.cross_entropy(self.model(xs), ys), self.params, create_graph=True)
            loss = loss + sum(distance_wb(a, b) for a, b in zip(gr, gs))
        return loss

    def iteration(self):
        self.begin()
        opt_net = torch.optim.SGD(self.params, lr=0.01)
        for ol in range(self.outer_loop):
            loss = self.loss()
            self.step(loss)
            if ol == self.outer_loop - 1:
                break
            x, y = self.images.detach(), self.labels
            for _ in range(self.inner_loop):  # one epoch of the synthetic set: batches of 256
                perm = torch.randperm(len(x), generator=self.g)
                for i in range(0, len(x), 256):
                    idx = perm[i : i + 256]
                    xb = self.aug(x[idx], generator=self.g) if self.dsa else x[idx]
                    opt_net.zero_grad()
                    F.cross_entropy(self.model(xb), y[idx]).backward()
                    opt_net.step()
        self.it += 1
        return float(loss.detach())


class PlainMTT(Plain):
    """The official MTT iteration (distill.py): the student's parameters as one flat vector, `syn_steps` SGD steps on
    synthetic mini-batches with the whole graph kept (`mode='unroll'`), the normalised parameter distance to the
    expert's later epoch. `tesla=True`: TESLA's two sweeps (forward without a graph, then the exact adjoint backwards
    one step at a time). Soft labels (DATM) are learned with the images."""

    def __init__(self, real, images, labels, cfg, seed=0, experts=None, tesla=False):
        super().__init__(real, images, labels, cfg, seed)
        self.experts, self.tesla = experts, tesla
        self.soft = self.labels.dim() == 2
        self.lr = torch.tensor(float(cfg['syn_lr']), requires_grad=True)
        groups = [{'params': [self.lr], 'lr': cfg['lr_lr']}]
        if self.soft:
            self.labels.requires_grad_(True)
            groups.append({'params': [self.labels], 'lr': cfg['lr_y'], 'momentum': 0.9})
        self.opt_extra = torch.optim.SGD(groups, lr=cfg['lr_lr'], momentum=0.5)
        r = real  # the student's tensors are only shape templates (no draw from the generator)
        self.model = get_net(cfg['net'], r.channels, r.num_classes, r.im_size, width=cfg['width'], seed=0)
        self.templates = list(self.model.parameters())
        for p in self.templates:
            p.requires_grad_(False)
        self.names = [n for n, _ in self.model.named_parameters()]

    def begin(self):
        c, lo = self.cfg, self.cfg['min_start_epoch']
        upper = c['max_start_epoch']
        if c.get('window'):  # DATM's growing window of starting epochs
            t, end = c['window']
            upper = min(t + int((upper - t) * self.it / end), upper)
        start = lo + self.randint(max(upper - lo, 1))
        expert = self.randint(self.experts.n_experts)
        self.start, self.target = self.experts.segment(expert, start, c['expert_epochs'])

    def batches(self):
        n, bs = len(self.images), self.cfg.get('batch_syn') or len(self.images)
        chunks, out = [], []
        for _ in range(self.cfg['syn_steps']):
            if not chunks:
                chunks = list(torch.randperm(n, generator=self.g).split(bs))
            idx = chunks.pop()
            out.append((idx, self.aug.draw(len(idx), self.real.im_size, self.g)))
        return out

    def ce(self, flat, images, labels, batch):
        idx, draws = batch
        out = functional_call(
            self.model, dict(zip(self.names, unflatten(flat, self.templates))), (self.aug.apply(images[idx], draws),)
        )
        y = labels[idx]
        return soft_cross_entropy(out, y) if self.soft else F.cross_entropy(out, y)

    def loss(self):
        batches, d = self.batches(), ((self.start - self.target) ** 2).sum()
        if self.tesla:
            return self._tesla(batches, d)
        flat = self.start.clone().requires_grad_(True)
        for b in batches:
            (g,) = torch.autograd.grad(self.ce(flat, self.images, self.labels, b), flat, create_graph=True)
            flat = flat - self.lr * g
        return ((flat - self.target) ** 2).sum() / d

    def _tesla(self, batches, d):
        a, flats, flat = float(self.lr.detach()), [], self.start
        for b in batches:  # forward sweep: no graph, keep every θ_k
            flats.append(flat)
            th = flat.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.ce(th, self.images.detach(), self.labels.detach(), b), th)
            flat = flat - a * g
        value = ((flat - self.target) ** 2).sum() / d
        lam = 2 * (flat - self.target) / d  # ∂L/∂θ_N
        img = self.images.detach().requires_grad_(True)
        lab = self.labels.detach().requires_grad_(self.soft)
        g_img, g_lab, g_lr = torch.zeros_like(img), torch.zeros_like(lab), torch.zeros(())
        for k in reversed(range(len(batches))):  # backward sweep: one step's graph at a time
            th = flats[k].clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.ce(th, img, lab, batches[k]), th, create_graph=True)
            s = (g * lam).sum()
            grads = torch.autograd.grad(s, [th, img] + ([lab] if self.soft else []))
            g_lr -= s.detach()
            g_img -= a * grads[1]
            if self.soft:
                g_lab -= a * grads[2]
            lam = lam - a * grads[0]
        sur = (self.images * g_img).sum() + self.lr * g_lr + ((self.labels * g_lab).sum() if self.soft else 0.0)
        return value.detach() + sur - sur.detach()

    def step(self, loss):
        self.opt.zero_grad()
        self.opt_extra.zero_grad()
        loss.backward()
        self.opt.step()
        self.opt_extra.step()


def plain(method, real, x, y, cfg, seed, matcher):
    "The plain reference of `method` starting from the set (x, y), at the settings `cfg`."
    if method == 'dm':
        return PlainDM(real, x, y, cfg, seed)
    if method in ('dc', 'dsa'):
        return PlainGM(real, x, y, cfg, seed, dsa=method == 'dsa', loops=(matcher.outer_loop, matcher.inner_loop))
    if method in ('mtt', 'tesla', 'datm'):
        return PlainMTT(real, x, y, cfg, seed, experts=matcher.experts, tesla=cfg['mode'] != 'unroll')
    raise ValueError(f'no plain reference for {method}')


def library_step(method, real, ipc, seed=0, compile=None, **overrides):
    "(parameterization, prepared matcher, cfg) of dd_nb at `seed`; `compile=False`: the eager matcher (None: its own)."
    p, m, _, cfg = build(method, real, ipc, seed=seed, init='real', **overrides)
    if compile is not None:
        m.compile = compile
    m.prepare(real, ipc)
    return p, m, cfg


def same_work(method, real, ipc, seed=0, **overrides):
    """(dd_nb's loss and image gradient, the plain reference's) for the first step of iteration 0 from the same set,
    both eager: the check that a yardstick measures the same work."""
    p, m, cfg = library_step(method, real, ipc, seed, compile=False, **overrides)
    x, y = p()
    ref = plain(method, real, x, y, cfg, seed, m)
    m.begin_iteration(0)
    loss = m.loss(x, y, **({'lr': p.lr} if m.learns_lr else {}))
    (g,) = torch.autograd.grad(loss, p.images)
    ref.begin()
    loss_ref = ref.loss()
    (g_ref,) = torch.autograd.grad(loss_ref, ref.images)
    return (loss.detach(), g), (loss_ref.detach(), g_ref)


def flops(fn) -> int:
    "FLOPs of one call of `fn` (forward and backward), counted by torch."
    with FlopCounterMode(display=False) as fc:
        fn()
    return fc.get_total_flops()


def peak_mb(fn) -> float:
    "MB of resident memory `fn` adds at its peak (Linux: the high-water mark is reset first; else NaN)."
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        rss = lambda key: next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key)) / 1024
        before = rss('VmRSS')
        fn()
        return rss('VmHWM') - before
    except (OSError, StopIteration):
        fn()
        return float('nan')


def peak_child(method, ipc, side) -> float:
    """Peak MB one iteration of `side` adds, read in a fresh process after one warm-up iteration. glibc is told there to
    return every freed block above 64 kB at once, so the high-water mark is the iteration's own; the timed runs keep
    the default allocator (that setting slows the many small allocations of the plain loops)."""
    args = [sys.executable, __file__, '--peak', side, '--methods', method, '--ipcs', str(ipc)]
    args += ['--threads', str(torch.get_num_threads())]
    env = {**os.environ, 'MALLOC_MMAP_THRESHOLD_': MMAP_THRESHOLD, 'PYTHONWARNINGS': 'ignore'}
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
    return float(out.strip().splitlines()[-1])


def sides(method, real, ipc, seed=0, precision='fp32'):
    "{'plain', 'dd_nb', 'dd_nb eager'}: one iteration each, at the digits preset, from the same set."
    p, m, cfg = library_step(method, real, ipc, seed, precision=precision)
    x, y = p()
    ref = plain(method, real, x, y, cfg, seed, m)
    d = Distiller(p, m, real, 10**9, seed=seed, progress=False)

    def ours():
        d._iteration()
        d.it += 1

    p2, m2, _ = library_step(method, real, ipc, seed, compile=False, precision=precision)
    d2 = Distiller(p2, m2, real, 10**9, seed=seed, progress=False)
    return dict(plain=ref.iteration, dd_nb=ours, eager=d2._iteration), cfg


def timed(fns: dict, iterations: int) -> dict:
    "Median seconds of each function, interleaved (a slow spell of the machine hits every side)."
    ts = {k: [] for k in fns}
    for _ in range(iterations):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            ts[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in ts.items()}


def measure(method, real, ipc, iterations, facts) -> dict:
    "One row: plain and dd_nb (fp32, and the fast setting when it differs here) s/it, FLOPs and peak memory."
    fast = resolve_precision('auto', 'cpu')
    fns, cfg = sides(method, real, ipc)
    f_plain, f_ours = flops(fns['plain']), flops(fns['eager'])
    t0 = time.perf_counter()
    fns['dd_nb']()
    first = time.perf_counter() - t0  # includes compiling
    fns['plain']()
    fns['dd_nb']()
    mem = {k: peak_child(method, ipc, k) for k in ('plain', 'dd_nb')}
    run = {'plain': fns['plain'], 'dd_nb': fns['dd_nb']}
    if fast != 'fp32':
        fast_fns, _ = sides(method, real, ipc, precision=fast)
        fast_fns['dd_nb']()
        fast_fns['dd_nb']()
        run['dd_nb_fast'] = fast_fns['dd_nb']
    t = timed(run, iterations)
    row = dict(
        method=method,
        ipc=ipc,
        batch_real=cfg.get('batch_real'),
        plain_s=t['plain'],
        dd_nb_s=t['dd_nb'],
        fast_precision=fast,
        dd_nb_fast_s=t.get('dd_nb_fast', t['dd_nb']),
        dd_nb_first_s=first,
        plain_gflop=f_plain / 1e9,
        dd_nb_gflop=f_ours / 1e9,
        plain_peak_mb=mem['plain'],
        dd_nb_peak_mb=mem['dd_nb'],
        iterations=iterations,
        **facts,
    )
    row['ratio'] = row['dd_nb_s'] / row['plain_s']
    row['ratio_fast'] = row['dd_nb_fast_s'] / row['plain_s']
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--methods', default='dm,dc,dsa,mtt,tesla,datm')
    ap.add_argument('--ipcs', default='1,10')
    ap.add_argument('--iterations', type=int, default=5, help='timed iterations of each side (after 2 warm-ups)')
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--peak', default=None, help='(internal) print the peak MB of one iteration of this side')
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.peak:
        fns, _ = sides(a.methods, digits(), int(a.ipcs))
        fns[a.peak]()
        print(peak_mb(fns[a.peak]))
        return
    facts = machine()
    print(json.dumps(facts), flush=True)
    real = digits()
    for method in a.methods.split(','):
        for ipc in map(int, a.ipcs.split(',')):
            row = measure(method, real, ipc, a.iterations, facts)
            print(
                f"{method} ipc {ipc}: plain {row['plain_s']:.3f} s/it ({row['plain_gflop']:.2f} GFLOP, "
                f"{row['plain_peak_mb']:.0f} MB), dd_nb {row['dd_nb_s']:.3f} s/it ({row['dd_nb_gflop']:.2f} GFLOP, "
                f"{row['dd_nb_peak_mb']:.0f} MB; first {row['dd_nb_first_s']:.1f} s): ratio {row['ratio']:.2f}; "
                f"{row['fast_precision']} {row['ratio_fast']:.2f}",
                flush=True,
            )
            append_row(RESULTS, row)


if __name__ == '__main__':
    main()
