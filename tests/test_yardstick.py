"""The speed yardsticks compare equal work: for every method the plain reference in `benchmarks/yardstick.py` and
dd_nb compute the same loss and the same gradient with respect to the synthetic images, from the same set and seed
(small settings; both eager)."""

import sys
from pathlib import Path
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / 'benchmarks'))
from yardstick import same_work  # noqa: E402
from dd_nb.data import digits  # noqa: E402

SMALL = dict(width=16)  # every method: a narrow network
MATCHING = dict(batch_real=16)  # DC, DSA, DM: 16 real images per class
# MTT, TESLA, DATM: 3 student steps, experts of 3 epochs (recorded once into the test cache)
TRAJECTORY = dict(
    syn_steps=3, expert_epochs=1, max_start_epoch=2, min_start_epoch=0, n_experts=2, expert_train_epochs=3
)
CASES = [
    ('dm', 1, MATCHING),
    ('dm', 10, MATCHING),
    ('dc', 1, MATCHING),
    ('dsa', 1, MATCHING),
    ('dsa', 10, MATCHING),
    ('mtt', 1, TRAJECTORY),
    ('tesla', 1, TRAJECTORY),
    ('datm', 1, TRAJECTORY),
]


@pytest.fixture(scope='module')
def real():
    return digits()


@pytest.mark.filterwarnings('ignore:class .* fewer than')  # DATM's start from 3-epoch experts
@pytest.mark.parametrize('method,ipc,settings', CASES, ids=[f'{m}-ipc{i}' for m, i, _ in CASES])
def test_plain_reference_is_the_same_work(real, method, ipc, settings):
    (loss, grad), (loss_ref, grad_ref) = same_work(method, real, ipc, seed=3, **SMALL, **settings)
    assert grad.shape == grad_ref.shape == (ipc * real.num_classes, *real.train.images.shape[1:])
    assert float(grad.abs().max()) > 0  # a gradient that is there to compare
    torch.testing.assert_close(loss, loss_ref, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-3, atol=1e-3 * float(grad_ref.abs().max()))


def test_a_different_seed_is_different_work(real):
    "The check can fail: the reference at another seed draws another network and batches."
    from yardstick import library_step, plain

    p, m, cfg = library_step('dm', real, 1, 3, compile=False, **SMALL, **MATCHING)
    x, y = p()
    ref = plain('dm', real, x, y, cfg, 4, m)
    m.begin_iteration(0)
    ref.begin()
    assert not torch.isclose(m.loss(x, y).detach(), ref.loss().detach(), rtol=1e-3)
