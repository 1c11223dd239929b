"""Hardening of the command line: every bad input ends in one line and exit code 2 with nothing written, no file the
user points at runs code, a stopped run keeps its work, and two runs never share an output folder."""

import hashlib, json, os, pickle, re, resource, signal, socket, subprocess, time
from pathlib import Path
import numpy as np
import pytest
import torch
from dd_nb.data import digits
from dd_nb.distilled import DistilledSet

MARKER = 'owned-by-a-pickle'
FAST_EVAL = ['--protocol', 'fast', '--models', '1', '--width', '8', '--quiet']


def cli(*args, env=None, preexec_fn=None, timeout=600):
    "A console script in a fresh process, warnings left on: what a user sees."
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        preexec_fn=preexec_fn,
    )


def snapshot(folder: Path) -> dict:
    "Every file under `folder` with its size and content hash (None when the folder does not exist)."
    if not folder.exists():
        return None
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob('*'))
        if p.is_file()
    }


class _Evil:
    "A pickle that runs a shell command when loaded."

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def _fake_cifar(root: Path, evil_in=None, marker=None):
    d = root / 'cifar-10-batches-py'
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for f in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        obj = {'data': rng.integers(0, 256, (20, 3072), dtype=np.uint8), 'labels': [i % 10 for i in range(20)]}
        if f == evil_in:
            obj = {'data': _Evil(marker), 'labels': [0]}
        with open(d / f, 'wb') as fh:
            pickle.dump(obj, fh, protocol=2)
    meta = {'label_names': [f'c{i}' for i in range(10)]}
    if evil_in == 'batches.meta':
        meta = _Evil(marker)
    with open(d / 'batches.meta', 'wb') as fh:
        pickle.dump(meta, fh)
    return root


def _fake_idx(root: Path, n=20, cut=None, magic=None):
    "The four MNIST IDX files (not gzipped) with `n` images each; `cut` truncates one, `magic` replaces its header."
    root.mkdir(parents=True)
    for im, lab in [
        ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
        ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
    ]:
        (root / im).write_bytes(b'\0\0\x08\x03' + np.array([n, 28, 28], '>u4').tobytes() + bytes(n * 784))
        (root / lab).write_bytes(b'\0\0\x08\x01' + np.array([n], '>u4').tobytes() + bytes(i % 10 for i in range(n)))
    if cut:
        (root / cut).write_bytes((root / cut).read_bytes()[:100])
    if magic:
        f = root / 'train-images-idx3-ubyte'
        f.write_bytes(magic + f.read_bytes()[4:])


def _png_folder(root: Path, classes=('a', 'b', 'c')):
    from PIL import Image

    for k, c in enumerate(classes):
        (root / c).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((8, 8), 30 * k + i, np.uint8), 'L').save(root / c / f'{i}.png')
    return root


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    "Every bad file and folder the table needs, made once."
    w = tmp_path_factory.mktemp('world')
    real = digits()
    x, y = real.random_subset(1)
    from safetensors.torch import save_file

    good = DistilledSet.create(x, y, real, method='random-real').save(w / 'good.safetensors')
    man = json.dumps(DistilledSet.create(x, y, real).full_manifest())
    (w / 'cut.safetensors').write_bytes(good.read_bytes()[:120])
    (w / 'notes.safetensors').write_text('hello')
    save_file({'w': torch.zeros(2)}, str(w / 'foreign.safetensors'))
    save_file({'images': x[:0], 'labels': y[:0]}, str(w / 'empty.safetensors'), metadata={'dd_nb.manifest': man})
    save_file(
        {'images': x, 'labels': y, 'lr': torch.tensor(float('nan'))},
        str(w / 'nanlr.safetensors'),
        metadata={'dd_nb.manifest': man},
    )
    save_file({'images': x, 'labels': y}, str(w / 'listman.safetensors'), metadata={'dd_nb.manifest': '[1, 2]'})
    save_file(
        {'images': x * float('nan'), 'labels': y}, str(w / 'nanimg.safetensors'), metadata={'dd_nb.manifest': man}
    )
    save_file(
        {'images': x.repeat(1, 3, 1, 1), 'labels': y},
        str(w / 'rgb.safetensors'),
        metadata={'dd_nb.manifest': json.dumps({**json.loads(man), 'dataset': None})},
    )
    save_file(
        {'images': x, 'labels': y},
        str(w / 'other.safetensors'),
        metadata={'dd_nb.manifest': json.dumps({**json.loads(man), 'dataset': 'cifar10'})},
    )
    _png_folder(w / 'pngs_cut')
    (w / 'pngs_cut' / 'b' / '2.png').write_bytes((w / 'pngs_cut' / 'a' / '0.png').read_bytes()[:30])
    _png_folder(w / 'pngs_text')
    (w / 'pngs_text' / 'c' / '4.png').write_text('not an image')
    _png_folder(w / 'pngs_one', classes=('only',))
    _png_folder(w / 'pngs_fifo')
    os.mkfifo(w / 'pngs_fifo' / 'b' / 'pipe.png')  # read, it would block the loader forever
    _png_folder(w / 'pngs_socket')  # the other special files: a socket, a link to nowhere
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(w / 'pngs_socket' / 'a' / 'sock.png'))
    _png_folder(w / 'pngs_dangling')
    (w / 'pngs_dangling' / 'c' / 'gone.jpg').symlink_to(w / 'no_such_file.jpg')
    _png_folder(w / 'pngs_huge')
    from PIL import Image

    Image.fromarray(np.zeros((7000, 7000), np.uint8), 'L').save(w / 'pngs_huge' / 'c' / 'huge.png')
    for f in ['data_batch_1', 'batches.meta']:
        _fake_cifar(w / f'evil_{f}', evil_in=f, marker=w / MARKER)
    (w / 'cifar_empty').mkdir()
    _fake_idx(w / 'idx_cut', cut='t10k-images-idx3-ubyte')
    _fake_idx(w / 'idx_magic', magic=b'PK\x03\x04')
    (w / 'svhn_cut').mkdir()
    for f in ['train_32x32.mat', 'test_32x32.mat']:
        (w / 'svhn_cut' / f).write_bytes(b'MATLAB 5.0 MAT-file' + bytes(40))
    (w / 'a_file').write_text('x')
    # a finished run, and folders with a broken / foreign checkpoint
    r = cli(
        'dd_nb_distill',
        '--method',
        'dm',
        '--ipc',
        '1',
        '--iterations',
        '2',
        '--no-eval',
        '--quiet',
        '--out',
        w / 'finished',
        env={'DD_NB_NO_COMPILE': '1'},
    )
    assert r.returncode == 0, r.stderr
    (w / 'corrupt').mkdir()
    (w / 'corrupt' / 'checkpoint.pt').write_bytes(b'\x80\x02garbage')
    (w / 'foreign_ckpt').mkdir()
    torch.save({'weights': torch.zeros(3)}, w / 'foreign_ckpt' / 'checkpoint.pt')
    (w / 'empty_out').mkdir()
    # sets whose tensors are of the wrong kind, a manifest nested past any parser, a folder named like a set
    for name, imgs, labs, extra in [('intimg', x.long(), y, {}), ('boolimg', x.bool(), y, {}),
                                    ('floatlab', x, y.float(), {}), ('lr3', x, y, {'lr': torch.ones(3)})]:
        save_file({'images': imgs, 'labels': labs, **extra}, str(w / f'{name}.safetensors'),
                  metadata={'dd_nb.manifest': man})
    save_file({'images': x, 'labels': y}, str(w / 'deep.safetensors'),
              metadata={'dd_nb.manifest': '[' * 100_000 + ']' * 100_000})
    (w / 'dir.safetensors').mkdir()
    # a checkpoint with every key a resume reads but not the configuration it was written under
    (w / 'no_config').mkdir()
    ck = torch.load(w / 'finished' / 'checkpoint.pt', weights_only=True)
    torch.save({k: v for k, v in ck.items() if k not in ('config', 'seed')}, w / 'no_config' / 'checkpoint.pt')
    (w / 'pruned_only').mkdir()  # a folder holding only HMN's pruning state (here a planted pickle) holds a run
    with open(w / 'pruned_only' / 'prune_state.pt', 'wb') as fh:
        pickle.dump({'key': _Evil(w / MARKER)}, fh)
    (w / 'reported').mkdir()
    (w / 'reported' / 'report.json').write_text('{"a": "finished run\'s report"}\n')
    ro = w / 'read_only'
    ro.mkdir()
    ro.chmod(0o555)
    if os.access(ro, os.W_OK):  # root writes anywhere: use a file system that refuses folders
        ro = Path('/sys/dd_nb_hardening_out')
    return w, ro


D, E = 'dd_nb_distill', 'dd_nb_evaluate'
# (id, script, arguments ({w}: the world folder, {o}: a fresh output folder), the output folder to watch,
#  what stderr must say)
CASES = [
    ('unknown-method', D, '--method kip', '{o}', r"unknown method 'kip'; choose one of: dc, dsa, dm"),
    ('unknown-param', D, '--param vae', '{o}', r"unknown parameterization 'vae'"),
    ('unknown-precision', D, '--precision fp8', '{o}', r"unknown precision 'fp8'; choose one of: fp32, bf16"),
    ('precision-twice', D, '--precision bf16 --set precision=fp32', '{o}', r'precision is given twice'),
    ('evaluate-precision', E, '--random 1 --precision half', '{o}', r"unknown precision 'half'"),
    ('unknown-dataset', D, '--dataset mnist2', '{o}', r"unknown dataset \(or ImageFolder path\) 'mnist2'"),
    ('dataset-folder-missing', D, '--dataset /no/such/folder', '{o}', r'dataset folder /no/such/folder does not exist'),
    ('dataset-is-a-file', D, '--dataset {w}/a_file', '{o}', r'a_file is a file, not a folder'),
    ('ipc-0', D, '--ipc 0', '{o}', r'--ipc must be a whole number above 0, got 0'),
    ('ipc-negative', D, '--ipc -3', '{o}', r'--ipc must be a whole number above 0, got -3'),
    ('ipc-too-large', D, '--method dm --ipc 400', '{o}', r'ipc=400 is not possible: the smallest class of digits'),
    ('models-0', D, '--models 0', '{o}', r'--models must be a whole number above 0'),
    ('models-not-int', D, '--models abc', '{o}', r"argument --models: invalid int value: 'abc'"),
    ('iterations-0', D, '--iterations 0', '{o}', r'--iterations must be a whole number above 0'),
    ('lr-img-nan', D, '--lr-img nan', '{o}', r'--lr-img must be a finite positive number, got nan'),
    ('lr-img-inf', D, '--lr-img inf', '{o}', r'--lr-img must be a finite positive number, got inf'),
    ('lr-img-negative', D, '--lr-img -1', '{o}', r'--lr-img must be above 0, got -1'),
    ('checkpoint-every-0', D, '--checkpoint-every 0', '{o}', r'--checkpoint-every must be a whole number above 0'),
    ('checkpoint-minutes-0', D, '--checkpoint-minutes 0', '{o}', r'--checkpoint-minutes must be above 0'),
    ('unknown-protocol', D, '--protocol fastest', '{o}', r"unknown protocol 'fastest'; choose one of: dc-classic"),
    ('unknown-option', D, '--frobnicate 3', '{o}', r'unrecognized arguments: --frobnicate 3'),
    (
        'set-not-a-number',
        D,
        '--method dm --ipc 1 --set batch_real=abc',
        '{o}',
        r"dm: --set batch_real='abc': batch_real must be a number \(preset 256\)",
    ),
    ('set-unknown-key', D, '--method dm --ipc 1 --set syn_steps=3', '{o}', r"dm has no setting 'syn_steps'"),
    ('set-no-equals', D, '--set nokey', '{o}', r"--set takes KEY=VALUE pairs, got 'nokey'"),
    ('set-iterations-0', D, '--set iterations=0', '{o}', r'--iterations must be a whole number above 0'),
    ('set-lr-img-nan', D, '--set lr_img=nan', '{o}', r'--lr-img must be a finite positive number'),
    ('set-given-twice', D, '--iterations 5 --set iterations=6', '{o}', r'iterations is given twice'),
    ('set-width-0', D, '--method dm --ipc 1 --set width=0', '{o}', r'width must be positive'),
    ('set-init-number', D, '--method dc --ipc 1 --set init=3', '{o}', r'init must be a name'),
    ('set-window-not-tuple', D, '--method datm --ipc 10 --set window=5', '{o}', r'window must be a tuple'),
    ('resume-nothing', D, '--resume', '{w}/empty_out', r'empty_out/checkpoint.pt does not exist, so there is nothing'),
    ('resume-typo', D, '--resume', '{o}', r'checkpoint.pt does not exist, so there is nothing to continue'),
    ('resume-and-overwrite', D, '--resume --overwrite', '{w}/finished', r'--resume .* --overwrite .*: choose one'),
    (
        'rerun-finished',
        D,
        '--method dm --ipc 1 --iterations 2 --no-eval',
        '{w}/finished',
        r'finished already holds a run \(checkpoint.pt, metrics.jsonl, distilled.safetensors',
    ),
    (
        'resume-corrupt',
        D,
        '--method dm --ipc 1 --resume',
        '{w}/corrupt',
        r'checkpoint.pt is not a readable dd_nb checkpoint',
    ),
    (
        'resume-foreign',
        D,
        '--method dm --ipc 1 --resume',
        '{w}/foreign_ckpt',
        r'is not a dd_nb distillation checkpoint',
    ),
    (
        'resume-other-config',
        D,
        '--method dm --ipc 1 --iterations 2 --seed 5 --no-eval --resume',
        '{w}/finished',
        r'the checkpoint was written by a different configuration',
    ),
    ('resume-hpd', D, '--param hpd --resume', '{w}/finished', r'--resume is not available for --param hpd'),
    ('out-is-a-file', D, '', '{w}/a_file', r'a_file is a file, not a folder'),
    ('out-under-a-file', D, '', '{w}/a_file/run', r'a_file is a file, not a folder'),
    ('out-read-only', D, '--method dm --ipc 1 --iterations 1 --no-eval', '{ro}/run', r'cannot (create|write to) --out'),
    (
        'png-truncated',
        D,
        '--dataset {w}/pngs_cut --method dm --ipc 1',
        '{o}',
        r'pngs_cut/b/2.png: not a readable image',
    ),
    (
        'png-not-an-image',
        D,
        '--dataset {w}/pngs_text --method dm --ipc 1',
        '{o}',
        r'pngs_text/c/4.png: not a readable image',
    ),
    ('one-class-folder', D, '--dataset {w}/pngs_one --method dm --ipc 1', '{o}', r'1 class found \(only\).*at least 2'),
    (
        'cifar-evil-batch',
        D,
        '--dataset cifar10 --data-root {w}/evil_data_batch_1',
        '{o}',
        r'data_batch_1: refused: not a plain CIFAR data file \(it asks to call posix.system\)',
    ),
    (
        'cifar-evil-meta',
        D,
        '--dataset cifar10 --data-root {w}/evil_batches.meta',
        '{o}',
        r'batches.meta: refused: not a plain CIFAR data file',
    ),
    ('cifar-missing', D, '--dataset cifar10 --data-root {w}/cifar_empty', '{o}', r'cifar10: missing data_batch_1'),
    ('cifar-no-root', D, '--dataset cifar10', '{o}', r'cifar10 reads files: give the folder'),
    ('eval-nothing-given', E, '', '{o}', r'give either a saved set \(PATH\) or --random IPC'),
    ('eval-width-0', E, '--random 1 --width 0', '{o}', r'--width must be a whole number above 0'),
    ('eval-models-0', E, '--random 1 --models 0', '{o}', r'--models must be a whole number above 0'),
    ('eval-random-0', E, '--random 0', '{o}', r'--random must be a whole number above 0'),
    ('eval-missing-set', E, '{w}/nothing.safetensors', '{o}', r'no such file: .*nothing.safetensors'),
    ('eval-truncated-set', E, '{w}/cut.safetensors', '{o}', r'cut.safetensors is not a readable dd_nb DistilledSet'),
    ('eval-text-set', E, '{w}/notes.safetensors', '{o}', r'notes.safetensors is not a readable dd_nb DistilledSet'),
    ('eval-foreign-set', E, '{w}/foreign.safetensors', '{o}', r'is a safetensors file but not a dd_nb DistilledSet'),
    ('eval-zero-images', E, '{w}/empty.safetensors', '{o}', r'empty.safetensors: the set has no images'),
    ('eval-nan-lr', E, '{w}/nanlr.safetensors', '{o}', r'the learned learning rate is nan'),
    ('eval-manifest-list', E, '{w}/listman.safetensors', '{o}', r'manifest must be a JSON object, not list'),
    ('eval-nan-images', E, '{w}/nanimg.safetensors', '{o}', r'images contain NaN or Inf values'),
    ('eval-channels', E, '{w}/rgb.safetensors', '{o}', r'images are \(3, 8, 8\) but digits needs \(1, 8, 8\)'),
    ('eval-other-dataset', E, '{w}/other.safetensors', '{o}', r"was distilled from 'cifar10', not 'digits'"),
    ('eval-unknown-arch', E, '--random 1 --archs ConvNet,Transformer', '{o}', r"unknown network 'Transformer'"),
    ('eval-out-is-a-file', E, '--random 1', '{w}/a_file', r'a_file is a file, not a folder'),
    (
        'mnist-no-files',
        E,
        '--dataset mnist --data-root {w}/cifar_empty --random 1',
        '{o}',
        r'no train-images-idx3-ubyte',
    ),
    (
        'idx-truncated',
        E,
        '--dataset mnist --data-root {w}/idx_cut --random 1',
        '{o}',
        r't10k-images-idx3-ubyte: truncated',
    ),
    (
        'idx-magic',
        D,
        '--dataset fashion-mnist --data-root {w}/idx_magic',
        '{o}',
        r'not an IDX file: magic number 504b0304',
    ),
    ('svhn-damaged', E, '--dataset svhn --data-root {w}/svhn_cut --random 1', '{o}', r'not a readable SVHN .mat file'),
    ('eval-one-class', E, '--dataset {w}/pngs_one --random 1', '{o}', r'at least 2'),
    ('eval-int-images', E, '{w}/intimg.safetensors', '{o}', r'images must be floating point .*int64'),
    ('eval-bool-images', E, '{w}/boolimg.safetensors', '{o}', r'images must be floating point .*bool'),
    ('eval-float-hard-labels', E, '{w}/floatlab.safetensors', '{o}', r'labels must be \(N,\) class indices'),
    ('eval-lr-of-three', E, '{w}/lr3.safetensors', '{o}', r'learned learning rate must be one number'),
    ('eval-deep-manifest', E, '{w}/deep.safetensors', '{o}', r'manifest is nested too deeply'),
    ('eval-folder-named-like-a-set', E, '{w}/dir.safetensors', '{o}', r'is a folder, not a set file'),
    ('resume-without-config', D, '--method dm --ipc 1 --iterations 3 --no-eval --resume', '{w}/no_config',
     r'written by a different configuration'),
    ('lr-img-overflow', D, '--set lr_img=1e308', '{o}', r'--lr-img 1e\+308 is above 1e\+06'),
    ('eval-absurd-width', E, '--dataset digits --random 1 --width 1000000000', '{o}', r'too large to build'),
    ('folder-fifo', E, '--dataset {w}/pngs_fifo --random 1', '{o}', r'pipe.png: not a regular file'),
    ('folder-socket', E, '--dataset {w}/pngs_socket --random 1', '{o}', r'sock.png: not a regular file'),
    ('folder-dangling-link', D, '--dataset {w}/pngs_dangling', '{o}', r'gone.jpg: not a regular file'),
    ('image-size-of-a-fixed-dataset', D, '--dataset digits --image-size 16', '{o}',
     r'digits has images of one fixed size'),
    ('image-size-too-large', E, '--dataset {w}/pngs_socket --random 1 --image-size 5000', '{o}',
     r'--image-size 5000: 5000×5000 is above the 1,048,576 pixels'),
    ('image-size-zero', D, '--dataset {w}/pngs_one --image-size 0', '{o}', r'--image-size must be'),
    ('folder-huge-image', E, '--dataset {w}/pngs_huge --random 1 ' + ' '.join(FAST_EVAL), '{o}',
     r'huge.png: .*7000×7000 pixels is over'),
    ('prune-state-is-a-run', D, '--method dm --ipc 1', '{w}/pruned_only', r'already holds a run \(prune_state.pt\)'),
    ('eval-over-a-report', E, '--dataset digits --random 1 ' + ' '.join(FAST_EVAL), '{w}/reported',
     r'already holds a report.json: replace it with --overwrite'),
]


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(world, tmp_path, case):
    _, script, args, out, expect = case
    world, ro = world
    fill = dict(w=world, o=tmp_path / 'out', ro=ro)
    out = Path(out.format(**fill))
    argv = [a.format(**fill) for a in args.split()]
    before, marker = snapshot(out), world / MARKER
    r = cli(script, *argv, '--out', out)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert len(lines) == 1, r.stderr[-2000:]
    assert 'Traceback' not in r.stderr
    assert re.search(expect, lines[0]), lines[0]
    assert snapshot(out) == before  # nothing new, nothing changed, no temp file
    assert not marker.exists()  # no file the user pointed at ran code


def test_table_has_forty_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


def test_image_size_resizes_every_image_of_a_folder(tmp_path):
    "`--image-size` (`size=`) overrides the folder's most common size; each image is resized to it."
    from dd_nb.data import load_data

    real = load_data(str(_png_folder(tmp_path / 'pngs')), size=5)
    assert (real.channels, *real.im_size) == (1, 5, 5) and real.train.images.shape[1:] == (1, 5, 5)
    assert load_data(str(tmp_path / 'pngs')).im_size == (8, 8)


def test_debug_shows_the_traceback(tmp_path):
    r = cli(D, '--ipc', '0', '--debug', '--out', tmp_path / 'o')
    assert r.returncode != 0 and 'Traceback' in r.stderr and '--ipc must be' in r.stderr


def _limit_file_size(nbytes):
    "preexec_fn: files may not grow past `nbytes` (a full disk as the process sees it: writes fail with EFBIG)."

    def f():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return f


def test_disk_full_during_checkpoint_is_one_line_and_leaves_no_temp(tmp_path):
    out = tmp_path / 'run'
    r = cli(
        D,
        '--method',
        'dm',
        '--ipc',
        '1',
        '--iterations',
        '2',
        '--no-eval',
        '--quiet',
        '--out',
        out,
        env={'DD_NB_NO_COMPILE': '1'},
        preexec_fn=_limit_file_size(4096),
    )
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert 'could not write the checkpoint' in lines[0] and 'File too large' in lines[0], lines[0]
    assert not list(out.glob('.*.tmp')) and not (out / 'checkpoint.pt').exists()


def test_malicious_cifar_never_runs(world, tmp_path):
    "Loaded through the library as well as the command line: the marker the pickles would create never appears."
    world, _ = world
    from dd_nb.data import load_data

    for f in ['data_batch_1', 'batches.meta']:
        with pytest.raises(ValueError, match=f'{f}: refused'):
            load_data('cifar10', root=world / f'evil_{f}')
    assert not (world / MARKER).exists()


def _distill(out, *extra, env=None, wait=True, iterations=12):
    argv = [
        D,
        '--method',
        'dm',
        '--ipc',
        '1',
        '--iterations',
        str(iterations),
        '--no-eval',
        '--quiet',
        '--out',
        str(out),
        *extra,
    ]
    if wait:
        return cli(*argv, env=env)
    # a shell's background job (`cmd &`) starts with SIGINT ignored, and Python then keeps it ignored: the run must
    # start as from a terminal, with SIGINT at its default, for the Ctrl-C case to test anything
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_lines(p: Path, n, proc, limit=300):
    t0 = time.time()
    while time.time() - t0 < limit:
        if p.is_file() and len(p.read_text().splitlines()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f'the run ended early: {proc.stderr.read()}')
        time.sleep(0.05)
    raise AssertionError('the run never got going')


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_signal_leaves_a_checkpoint_and_resume_is_bit_identical(tmp_path, sig):
    env = {'DD_NB_NO_COMPILE': '1'}  # eager here: the compiled path is covered by the extension test
    full = _distill(tmp_path / 'full', env=env)
    assert full.returncode == 0, full.stderr
    proc = _distill(tmp_path / 'cut', env=env, wait=False)
    _wait_for_lines(tmp_path / 'cut' / 'metrics.jsonl', 3, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    (line,) = err.strip().splitlines()
    assert f'stopped by {signal.Signals(sig).name}; the last good state is in' in line and '--resume' in line, line
    st = torch.load(tmp_path / 'cut' / 'checkpoint.pt', weights_only=True)
    # the third line is written by a callback just before the snapshot of iteration 3 is taken (after the callbacks,
    # which may draw random numbers): a signal landing in between leaves iteration 2, and --resume drops the line
    assert 2 <= st['it'] < 12
    again = _distill(tmp_path / 'cut', '--resume', env=env)
    assert again.returncode == 0, again.stderr
    a = DistilledSet.load(tmp_path / 'full' / 'distilled.safetensors')
    b = DistilledSet.load(tmp_path / 'cut' / 'distilled.safetensors')
    assert torch.equal(a.images, b.images)
    assert len((tmp_path / 'cut' / 'metrics.jsonl').read_text().splitlines()) == 12


def test_second_run_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / 'shared'
    first = _distill(out, '--checkpoint-every', '1', env={'DD_NB_NO_COMPILE': '1'}, wait=False, iterations=2000)
    try:
        _wait_for_lines(out / 'metrics.jsonl', 1, first)
        second = _distill(out, '--resume')
        (line,) = second.stderr.strip().splitlines()
        assert second.returncode == 2 and 'is in use by another dd_nb run' in line, second.stderr
        assert first.poll() is None  # the first run goes on undisturbed
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 128 + signal.SIGTERM


def test_overwrite_replaces_a_finished_run(tmp_path):
    out = tmp_path / 'run'
    assert _distill(out, iterations=2, env={'DD_NB_NO_COMPILE': '1'}).returncode == 0
    r = _distill(out, '--overwrite', iterations=1, env={'DD_NB_NO_COMPILE': '1'})
    assert r.returncode == 0, r.stderr
    assert len((out / 'metrics.jsonl').read_text().splitlines()) == 1


def test_stale_temp_files_are_removed_on_the_next_start(tmp_path):
    out = tmp_path / 'run'
    assert _distill(out, iterations=1, env={'DD_NB_NO_COMPILE': '1'}).returncode == 0
    (out / '.checkpoint.pt.dd_nb-k1ll3d.tmp').write_bytes(b'')  # what kill -9 inside a write leaves
    (out / '.notes.tmp').write_text('mine')  # the user's own: dd_nb deletes only what it made
    (out / '.x.dd_nb-1.tmp').symlink_to(tmp_path / 'elsewhere')  # a link is never dd_nb's
    r = _distill(out, '--resume', iterations=2, env={'DD_NB_NO_COMPILE': '1'})
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.glob('.*.tmp')) == ['.notes.tmp', '.x.dd_nb-1.tmp']


def test_extending_a_run_equals_the_longer_run(tmp_path):
    "3 iterations, then --resume to 6, equals 6 in one go, with the default (compiled on the CPU) passes."
    a = _distill(tmp_path / 'a', iterations=6)
    assert a.returncode == 0, a.stderr
    assert _distill(tmp_path / 'b', iterations=3).returncode == 0
    b = _distill(tmp_path / 'b', '--resume', iterations=6)
    assert b.returncode == 0, b.stderr
    x = DistilledSet.load(tmp_path / 'a' / 'distilled.safetensors').images
    y = DistilledSet.load(tmp_path / 'b' / 'distilled.safetensors').images
    assert torch.equal(x, y), (x - y).abs().max()


@pytest.mark.parametrize('umask,mode', [(0o022, 0o644), (0o027, 0o640)])
def test_files_follow_the_umask(tmp_path, umask, mode):
    out = tmp_path / 'run'
    r = cli(
        D,
        '--method',
        'dm',
        '--ipc',
        '1',
        '--iterations',
        '1',
        '--no-eval',
        '--quiet',
        '--out',
        out,
        env={'DD_NB_NO_COMPILE': '1'},
        preexec_fn=lambda: os.umask(umask),
    )
    assert r.returncode == 0, r.stderr
    for f in ['distilled.safetensors', 'distilled.json', 'checkpoint.pt', 'report.json', 'metrics.jsonl', 'grid.png']:
        assert (out / f).stat().st_mode & 0o777 == mode, (f, oct((out / f).stat().st_mode & 0o777))


def test_outputs_never_follow_a_planted_symlink(tmp_path):
    """A link planted in a run folder is never written through: `loss.png` and `grid.png` replace the link itself (the
    rename of the one atomic writer), and `metrics.jsonl`, which is appended to, is refused with one line."""
    out, target = tmp_path / 'run', tmp_path / 'elsewhere.txt'
    target.write_text('not yours')
    assert _distill(out, iterations=1, env={'DD_NB_NO_COMPILE': '1'}).returncode == 0
    for name in ('loss.png', 'grid.png'):
        (out / name).unlink()
        (out / name).symlink_to(target)
    r = _distill(out, '--resume', iterations=2, env={'DD_NB_NO_COMPILE': '1'})
    assert r.returncode == 0, r.stderr
    assert target.read_text() == 'not yours'
    assert not (out / 'loss.png').is_symlink() and (out / 'loss.png').read_bytes()[:4] == b'\x89PNG'
    assert not (out / 'grid.png').is_symlink()
    (out / 'metrics.jsonl').unlink()
    (out / 'metrics.jsonl').symlink_to(target)
    r = _distill(out, '--resume', iterations=3, env={'DD_NB_NO_COMPILE': '1'})
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and 'is a symlink' in lines[0], r.stderr[-2000:]
    assert target.read_text() == 'not yours'


def test_class_names_from_a_manifest_never_leave_the_export_folder(tmp_path):
    real = digits()
    x, y = real.random_subset(1)
    ds = DistilledSet.create(x, y, real)
    ds.manifest['classes'] = ['../../x', str(tmp_path / 'abs'), '..', '.hidden', 'a/b', 'c', 'd', 'e', 'f', 'g']
    out = ds.export_png(tmp_path / 'png')
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob('*.png'))
    assert len(made) == 10 and all(p.parts[0] == 'png' and len(p.parts) == 3 for p in made), made
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ['_.._.._x', '_' + str(tmp_path / 'abs').replace('/', '_')[1:], '_..', '_.hidden', 'a_b', 'c', 'd', 'e', 'f',
         'g'])
    ds.manifest['classes'] = ['a/b', 'a_b', *'cdefghij']
    with pytest.raises(ValueError, match='names two classes alike'):
        ds.export_png(tmp_path / 'png2')
