"End-to-end command-line runs in fresh processes."

import json
import torch
from conftest import run_cli
from dd_nb.data import digits
from dd_nb.distilled import DistilledSet

FAST = ['--protocol', 'fast', '--models', '2', '--width', '16', '--quiet']


def test_random_baseline_job_writes_report(tmp_path):
    r = run_cli('dd_nb_evaluate', '--dataset', 'digits', '--random', '2', *FAST, '--out', str(tmp_path))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    for k in [
        'accuracy_mean',
        'accuracy_std',
        'random_mean',
        'random_std',
        'full_mean',
        'storage_bytes',
        'seconds',
        'protocol',
    ]:
        assert k in rep
    assert rep['full_mean'] > rep['accuracy_mean'] > 0.3 and rep['protocol']['name'] == 'fast'
    assert 'random real %' in r.stdout and 'full data %' in r.stdout


def test_saved_set_with_positional_path_and_dashed_options(tmp_path):
    real = digits()
    ds = DistilledSet.create(*real.random_subset(3, seed=5), real, method='random-real')
    p = ds.save(tmp_path / 'set.safetensors')
    r = run_cli('dd_nb_evaluate', str(p), '--no-full', '--archs', 'ConvNet,MLP', *FAST, '--out', str(tmp_path / 'o'))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'o' / 'report.json').read_text())
    assert rep['storage_bytes'] == ds.storage_bytes and set(rep['archs']) == {'ConvNet', 'MLP'}
    assert rep['full_mean'] is None and rep['method'] == 'random-real'


def test_imagefolder_path_as_dataset(tmp_path, png_folder):
    r = run_cli(
        'dd_nb_evaluate', '--dataset', str(png_folder), '--random', '2', '--no-full', *FAST, '--out', str(tmp_path)
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert rep['dataset'] == 'folder' and rep['n_images'] == 6


def test_bad_inputs_fail_cleanly(tmp_path):
    r = run_cli('dd_nb_evaluate', '--dataset', 'mnistt', '--random', '1', '--out', str(tmp_path))
    assert r.returncode != 0 and 'choose one of: digits' in r.stderr
    r = run_cli('dd_nb_evaluate', '--dataset', 'mnist', '--data-root', str(tmp_path), '--random', '1')
    assert r.returncode != 0 and 'download=True' in r.stderr
    r = run_cli('dd_nb_evaluate', '--dataset', 'cifar10', '--data-root', str(tmp_path), '--random', '1')
    assert r.returncode != 0 and 'cifar-10-batches-py' in r.stderr
    r = run_cli('dd_nb_evaluate', '--random', '1000', *FAST)
    assert r.returncode != 0 and 'smallest class' in r.stderr
    r = run_cli('dd_nb_evaluate', str(tmp_path / 'nothing.safetensors'), *FAST)
    assert r.returncode != 0 and 'no such file' in r.stderr
    assert not (tmp_path / 'report.json').exists()


def test_distill_resume_is_bit_identical(tmp_path):
    "A run stopped after 2 iterations and resumed to 4 equals an uninterrupted 4-iteration run."
    args = ['--method', 'dm', '--ipc', '1', '--no-eval', '--quiet', '--checkpoint-every', '1']
    r = run_cli('dd_nb_distill', *args, '--iterations', '4', '--out', str(tmp_path / 'a'))
    assert r.returncode == 0, r.stderr
    r = run_cli('dd_nb_distill', *args, '--iterations', '2', '--out', str(tmp_path / 'b'))
    assert r.returncode == 0, r.stderr
    r = run_cli('dd_nb_distill', *args, '--iterations', '4', '--resume', '--out', str(tmp_path / 'b'))
    assert r.returncode == 0, r.stderr
    a = DistilledSet.load(tmp_path / 'a' / 'distilled.safetensors')
    b = DistilledSet.load(tmp_path / 'b' / 'distilled.safetensors')
    assert torch.equal(a.images, b.images)
    assert len((tmp_path / 'b' / 'metrics.jsonl').read_text().splitlines()) == 4
    for f in ['grid.png', 'loss.png', 'report.json', 'checkpoint.pt']:
        assert (tmp_path / 'b' / f).is_file()


def test_distill_bad_method_and_ipc(tmp_path):
    r = run_cli('dd_nb_distill', '--method', 'kip', '--out', str(tmp_path))
    assert r.returncode == 2 and 'choose one of: dc, dsa, dm' in r.stderr
    r = run_cli('dd_nb_distill', '--method', 'dm', '--ipc', '400', '--out', str(tmp_path))
    assert r.returncode == 2 and 'smallest class' in r.stderr


TINY_TM = [
    '--quiet',
    '--set',
    'n_experts=2 expert_train_epochs=3 expert_batch=64 width=16 syn_steps=3 max_start_epoch=2 expert_epochs=1',
]


def test_trajectory_methods_from_the_command_line(tmp_path, monkeypatch):
    """DATM end to end (experts recorded once and reused, soft labels and learned lr saved); TESLA resumes
    bit-identically."""
    monkeypatch.setenv('DD_NB_CACHE', str(tmp_path / 'cache'))
    r = run_cli(
        'dd_nb_distill',
        '--method',
        'datm',
        '--ipc',
        '1',
        '--iterations',
        '3',
        '--protocol',
        'fast',
        '--models',
        '1',
        '--no-full',
        '--out',
        str(tmp_path / 'datm'),
        *TINY_TM,
    )
    assert r.returncode == 0, r.stderr
    ds = DistilledSet.load(tmp_path / 'datm' / 'distilled.safetensors')
    assert ds.labels.shape == (10, 10) and ds.lr is not None
    rep = json.loads((tmp_path / 'datm' / 'report.json').read_text())
    assert rep['method'] == 'datm' and rep['config']['syn_steps'] == 3 and rep['config']['mode'] == 'unroll'
    assert 0.1 < rep['accuracy_mean'] <= 1
    args = ['--method', 'tesla', '--ipc', '1', '--no-eval', '--checkpoint-every', '1', *TINY_TM]
    r = run_cli('dd_nb_distill', *args, '--iterations', '4', '--out', str(tmp_path / 'a'))
    assert r.returncode == 0, r.stderr
    r = run_cli('dd_nb_distill', *args, '--iterations', '2', '--out', str(tmp_path / 'b'))
    r = run_cli('dd_nb_distill', *args, '--iterations', '4', '--resume', '--out', str(tmp_path / 'b'))
    assert r.returncode == 0, r.stderr
    a = DistilledSet.load(tmp_path / 'a' / 'distilled.safetensors')
    b = DistilledSet.load(tmp_path / 'b' / 'distilled.safetensors')
    assert torch.equal(a.images, b.images) and torch.equal(a.lr, b.lr)
    assert not torch.equal(a.images, digits().random_subset(1, seed=0)[0])  # the images did move
    assert len(list((tmp_path / 'cache' / 'experts').glob('experts-*.safetensors'))) == 1  # one recipe, recorded once
    r = run_cli('dd_nb_distill', '--method', 'mtt', '--set', 'synsteps=3', '--out', str(tmp_path / 'c'))
    assert r.returncode == 2 and "mtt has no setting 'synsteps'" in r.stderr


def test_pad_from_the_command_line(tmp_path, monkeypatch):
    "PAD end to end: EL2N scores and curriculum experts recorded in the cache, the mask and scheduler in the report."
    monkeypatch.setenv('DD_NB_CACHE', str(tmp_path / 'cache'))
    pad = (
        '--set',
        (
            'n_experts=1 expert_train_epochs=3 max_start_epoch=2 expert_epochs=1 syn_steps=3 width=16 window=None '
            'score_models=1 score_epochs=2 el2n_epoch=1 add_end_epoch=2 removals=((2,0.1),) alpha=0.25'
        ),
    )
    r = run_cli(
        'dd_nb_distill',
        '--method',
        'pad',
        '--ipc',
        '1',
        '--iterations',
        '3',
        '--protocol',
        'fast',
        '--models',
        '1',
        '--no-full',
        '--out',
        str(tmp_path / 'pad'),
        *pad,
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'pad' / 'report.json').read_text())
    assert rep['method'] == 'pad' and rep['config']['alpha'] == 0.25 and rep['config']['add_end_epoch'] == 2
    assert len(list((tmp_path / 'cache' / 'scores').glob('scores-*.safetensors'))) == 1
    buf = json.loads(next((tmp_path / 'cache' / 'experts').glob('experts-*.json')).read_text())
    assert buf['scheduler']['init_ratio'] == 0.75 and buf['scheduler']['removals'] == [[2, 0.1]]


def test_gan_parameterizations_from_the_command_line(tmp_path):
    "GLaD resumes bit-identically like pixels; H-PD walks every space and stores its chosen latents."
    gan = ['--method', 'dm', '--ipc', '1', '--quiet']
    small = 'generator_steps=20 n_avg=5 stage=1'
    args = [*gan, '--param', 'glad', '--no-eval', '--checkpoint-every', '1', '--set', small]
    assert run_cli('dd_nb_distill', *args, '--iterations', '3', '--out', str(tmp_path / 'a')).returncode == 0
    assert run_cli('dd_nb_distill', *args, '--iterations', '1', '--out', str(tmp_path / 'b')).returncode == 0
    r = run_cli('dd_nb_distill', *args, '--iterations', '3', '--resume', '--out', str(tmp_path / 'b'))
    assert r.returncode == 0, r.stderr
    a = DistilledSet.load(tmp_path / 'a' / 'distilled.safetensors')
    b = DistilledSet.load(tmp_path / 'b' / 'distilled.safetensors')
    assert torch.equal(a.state['f'], b.state['f']) and torch.equal(a.state['ws'], b.state['ws']) and a.images_derived
    hpd = 'generator_steps=20 n_avg=5 steps_per_space=2 classifier_epochs=2 eval_models=1 eval_protocol=fast'
    r = run_cli(
        'dd_nb_distill', *gan, '--param', 'hpd', '--set', hpd, *FAST[:4], '--no-full', '--out', str(tmp_path / 'h')
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'h' / 'report.json').read_text())
    spaces = rep['config']['spaces_result']
    assert [s['stage'] for s in spaces] == [0, 1, 2, 3] and rep['method'] == 'hpd-dm' and rep['iterations'] == 8
    assert rep['generator']['floats'] > 0 and 'separate' in rep['generator']['note']
    chosen = max(spaces, key=lambda s: s['val_accuracy'])['stage']
    assert (
        int(DistilledSet.load(tmp_path / 'h' / 'distilled.safetensors').state['stage'])
        == chosen
        == rep['config']['chosen_stage']
    )
    r = run_cli('dd_nb_distill', *gan, '--param', 'hpd', '--resume', '--out', str(tmp_path / 'h'))
    assert r.returncode != 0 and 'not available' in r.stderr


def test_hmn_from_the_command_line(tmp_path):
    "--param hmn distils over budget, prunes into the budget, and saves a container that decodes again."
    hmn = 'warm_steps=5 beta_grid=(0.0,1.0) beta_models=1 prune_protocol=fast width=16'
    r = run_cli(
        'dd_nb_distill',
        '--param',
        'hmn',
        '--ipc',
        '1',
        '--iterations',
        '2',
        '--set',
        hmn,
        *FAST[:4],
        '--no-full',
        '--quiet',
        '--out',
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    pr = rep['config']['pruning']
    assert (
        rep['method'] == 'hmn-dsa'
        and pr['beta'] in (0.0, 1.0)
        and pr['gipc'] == [g - pr['k'] for g in pr['gipc_before']]
    )
    from dd_nb.hmn import HMN

    ds = DistilledSet.load(tmp_path / 'distilled.safetensors')
    back = HMN.from_distilled(ds, digits())
    assert back.storage_floats() <= HMN.budget_floats(digits(), 1) and torch.equal(back()[0], ds.images)
    assert rep['storage_bytes'] == ds.storage_bytes == 4 * back.storage_floats() + 8 * len(ds.labels)
    saved = torch.load(tmp_path / 'prune_state.pt')  # the pruning's work, kept for an interrupted run to resume
    assert sorted(saved['val']) == [0.0, 1.0] and saved['val'] == {float(b): v for b, v in pr['val'].items()}
    r = run_cli('dd_nb_distill', '--param', 'hmn', '--set', 'colour=1', '--out', str(tmp_path / 'x'))
    assert r.returncode != 0 and 'hmn has no setting' in r.stderr and 'over_budget' in r.stderr


def test_quick_run_is_labelled_and_says_each_number_at_once(tmp_path):
    "--quick: one iteration, the fast protocol, one model, labelled; each number printed the moment it exists."
    r = run_cli('dd_nb_distill', '--method', 'dm', '--ipc', '1', '--quick', '--no-full', '--out', str(tmp_path))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert (rep['quick'], rep['iterations'], rep['protocol']['name'], rep['models']) == (True, 1, 'fast', 1)
    out = r.stdout
    assert 'not a result' in out.splitlines()[0] and 'not a result' in out.splitlines()[-1]
    assert out.splitlines()[0].startswith('quick run (1 iteration, fast protocol, 1 model):')  # its real size
    assert out.index('this set ') < out.index('random real, ipc 1 ') < out.index('this set %')  # then the table


def test_full_data_with_fewer_models_is_marked(tmp_path):
    "--full-models 1 trains one network on the whole training split; the report and the table say so."
    args = '--method dm --ipc 1 --iterations 1 --full-models 1 --quiet'.split()
    r = run_cli('dd_nb_distill', *args, *FAST[:4], '--out', str(tmp_path))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert (rep['models'], rep['full_models'], len(rep['archs']['ConvNet']['full']['accs'])) == (2, 1, 1)
    assert rep['full_mean'] > rep['random_mean'] and '† full data: 1 model' in r.stdout
    r = run_cli('dd_nb_distill', '--models', '2', '--full-models', '3', '--out', str(tmp_path / 'x'))
    assert r.returncode == 2 and '--full-models must be between 1 and --models (2), got 3' in r.stderr


def test_teacher_methods_from_the_command_line(tmp_path):
    "RDED is evaluated under its teacher protocol with the teacher it selected with; a method without one is refused."
    r = run_cli(
        'dd_nb_distill',
        '--method',
        'rded',
        '--ipc',
        '1',
        '--set',
        'feature_epochs=30 width=32 candidates=20',  # a 96 % teacher in 3 s
        '--models',
        '2',
        '--no-full',
        '--quiet',
        '--out',
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / 'report.json').read_text())
    assert rep['method'] == 'rded' and rep['iterations'] == 0 and rep['protocol']['name'] == 'dsa-teacher'
    assert rep['accuracy_mean'] > rep['random_mean']  # under the same teacher
    ds = DistilledSet.load(tmp_path / 'distilled.safetensors')
    assert ds.labels.shape == (10, 10) and torch.allclose(ds.labels.softmax(-1).sum(-1), torch.ones(10))
    r = run_cli('dd_nb_distill', '--method', 'dm', '--protocol', 'dsa-teacher', '--out', str(tmp_path / 'x'))
    assert r.returncode == 2 and 'dm has none' in r.stderr and r.stderr.strip().count('\n') == 0
