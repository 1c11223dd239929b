"""One small run of each scale-out path; `tests/test_parallel.py` launches it once alone and once under
`torchrun --nproc_per_node 2` (gloo) and compares what rank 0 saves."""

import sys, torch
from dd_nb.parallel import init_from_env, world, is_main
from dd_nb.data import digits
from dd_nb.trajectory import ExpertBuffer
from dd_nb.evaluate import Evaluator
from dd_nb.methods import build
from dd_nb.distill import Distiller

init_from_env()
torch.set_num_threads(1)
real = digits()
buf = ExpertBuffer.record(real, n_experts=3, epochs=2, width=16, progress=False)  # experts 0, 2 | 1
ev = Evaluator(real, 'fast', models=3, width=16, progress=False)  # models 0, 2 | 1
accs = ev.evaluate(*real.random_subset(2, seed=1)).accs
rep = ev.report(*real.random_subset(1, seed=2), archs=['ConvNet', 'MLP'])  # 18 (set, arch, model) items dealt 9 | 9
table = {a: {k: r[k]['accs'] for k in ('set', 'random', 'full')} for a, r in rep['archs'].items()}
sets = {}
for method, ipc, its in [('dm', 1, 4), ('dsa', 1, 3), ('dm', 10, 2)]:
    p, m, its, cfg = build(method, real, ipc, seed=0, iterations=its, width=16)
    d = Distiller(p, m, real, its, seed=0, progress=False)
    d.run()
    with torch.no_grad():
        sets[f'{method}{ipc}'] = (p()[0].cpu(), [h['loss'] for h in d.history])
if is_main():
    torch.save(dict(world=world()[1], experts=buf.snapshots, accs=accs, table=table, sets=sets), sys.argv[1])
