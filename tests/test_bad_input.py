"Bad input gets a clear error and leaves nothing half-written."

import pytest, torch
from dd_nb.data import digits, load_data
from dd_nb.nets import get_net
from dd_nb.evaluate import Evaluator
from dd_nb.train import get_protocol
from dd_nb.distilled import DistilledSet

real = digits()


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match='choose one of: digits, fashion-mnist, mnist, svhn, cifar10'):
        load_data('mnistt')
    with pytest.raises(ValueError, match=r'unknown network .*ConvNet, ConvNetBN'):
        get_net('ConvNetXL', 1, 10, (8, 8))
    with pytest.raises(ValueError, match='choose one of: dc-classic, dsa'):
        get_protocol('dc')
    with pytest.raises(ValueError, match='unknown network'):
        Evaluator(real, 'fast', net='Transformer')
    with pytest.raises(ValueError, match="unknown precision 'half'; choose one of: fp32, bf16, fp16, auto"):
        Evaluator(real, 'fast', precision='half')


def test_ipc_larger_than_smallest_class():
    with pytest.raises(ValueError, match='smallest class of digits has'):
        real.random_subset(200)
    with pytest.raises(ValueError, match='not possible'):
        real.random_subset(0)


def test_wrong_shapes_channels_and_nan():
    ev = Evaluator(real, 'fast', models=1, width=8, progress=False)
    x, y = real.random_subset(1)
    with pytest.raises(ValueError, match=r'needs \(1, 8, 8\)'):
        ev.evaluate(x.repeat(1, 3, 1, 1), y)
    with pytest.raises(ValueError, match='NaN'):
        ev.evaluate(x * float('nan'), y)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        ev.evaluate(x[:, 0], y)
    with pytest.raises(ValueError, match='10 images but 9 labels'):
        ev.evaluate(x, y[:9])


def test_truncated_or_foreign_file(tmp_path):
    ds = DistilledSet.create(*real.random_subset(1), real)
    p = ds.save(tmp_path / 'a.safetensors')
    p.with_name('cut.safetensors').write_bytes(p.read_bytes()[:100])
    with pytest.raises(ValueError, match='truncated'):
        DistilledSet.load(tmp_path / 'cut.safetensors')
    (tmp_path / 'notes.safetensors').write_text('hello')
    with pytest.raises(ValueError, match='not a readable'):
        DistilledSet.load(tmp_path / 'notes.safetensors')


def test_interrupted_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    ds = DistilledSet.create(*real.random_subset(1), real)
    p = ds.save(tmp_path / 'a.safetensors')
    before = p.read_bytes()
    import safetensors.torch as st

    def boom(tensors, filename, metadata=None):
        open(filename, 'wb').write(b'partial')
        raise KeyboardInterrupt

    monkeypatch.setattr(st, 'save_file', boom)
    with pytest.raises(KeyboardInterrupt):
        DistilledSet.create(*real.random_subset(2), real).save(p)
    assert p.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ['a.json', 'a.safetensors']
