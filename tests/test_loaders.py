"Real-format loaders on data the tests write themselves."

import pickle
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from dd_nb.data import (
    load_data,
    image_folder,
    from_datasets,
    imagenet_subset,
    cifar100,
    tiny_imagenet,
    IMAGENET_SUBSETS,
    digits,
)


def test_image_folder_single_folder_split(png_folder):
    r = image_folder(png_folder, val_frac=0.25)
    assert r.classes == ['class0', 'class1', 'class2'] and r.channels == 3 and r.im_size == (10, 12)
    assert len(r.train) + len(r.val) == 18 and len(r.test) == 6
    red = r.denormalize(r.test.images)[:, 0].mean((1, 2)) * 255
    assert torch.allclose(red, r.test.labels.float() * 80, atol=0.6)


def test_image_folder_train_test_layout_and_resize(tmp_path, png_folder):
    import shutil

    for split in ['train', 'test']:
        shutil.copytree(png_folder, tmp_path / 'tt' / split)
    r = image_folder(tmp_path / 'tt', size=8, val_frac=0)
    assert (len(r.train), len(r.test), r.im_size) == (24, 24, (8, 8))
    assert load_data(str(tmp_path / 'tt'), size=8).im_size == (8, 8)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such dataset folder'):
        image_folder(tmp_path / 'missing')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='expected <class>/ sub-folders'):
        image_folder(tmp_path / 'empty')


def test_any_torch_dataset_lazy_and_eager():
    g = torch.Generator().manual_seed(0)
    tr = torch.utils.data.TensorDataset(torch.rand(40, 1, 5, 5, generator=g), torch.arange(40) % 4)
    te = torch.utils.data.TensorDataset(torch.rand(8, 1, 5, 5, generator=g), torch.arange(8) % 4)
    eager = from_datasets(tr, te, list('abcd'), val_frac=0.25)
    lazy = from_datasets(tr, te, list('abcd'), val_frac=0.25, max_bytes=0)
    assert not eager.train.lazy and lazy.train.lazy
    assert torch.allclose(eager.train.images, lazy.train.images) and torch.equal(eager.val.labels, lazy.val.labels)
    assert torch.allclose(eager.train.images.mean(), torch.tensor(0.0), atol=0.05)  # normalised with train stats
    x, y = lazy.random_subset(3, seed=0)
    assert x.shape == (12, 1, 5, 5) and y.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    with pytest.raises(ValueError, match='image tensors'):
        from_datasets(torch.utils.data.TensorDataset(torch.rand(4, 5), torch.zeros(4)), te, list('abcd'))


def _write_cifar100(root, n=30):
    d = Path(root) / 'cifar-100-python'
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for f, m in [('train', n), ('test', 10)]:
        with open(d / f, 'wb') as fh:
            pickle.dump(
                {
                    'data': rng.integers(0, 256, (m, 3072), dtype=np.uint8),
                    'fine_labels': [i % 100 for i in range(m)],
                    'coarse_labels': [0] * m,
                },
                fh,
                protocol=2,
            )
    with open(d / 'meta', 'wb') as fh:
        pickle.dump({'fine_label_names': [f'c{i}' for i in range(100)]}, fh, protocol=2)


def test_cifar100_real_format(tmp_path):
    _write_cifar100(tmp_path)
    r = cifar100(tmp_path, val_frac=0)
    assert r.num_classes == 100 and r.classes[:2] == ['c0', 'c1'] and (len(r.train), len(r.test)) == (30, 10)
    assert r.mean == [0.5071, 0.4866, 0.4409]
    r2 = load_data('cifar100', root=str(tmp_path), val_frac=0)
    assert torch.equal(r2.test.images, r.test.images)


def test_cifar_missing_files_names_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match='cifar-10-batches-py'):
        load_data('cifar10', root=str(tmp_path))


def test_imagenet_subset_by_class_list(tmp_path):
    wnids = [f'n{i:08d}' for i in range(1000)]
    for split in ['train', 'val']:
        for w in wnids:
            (tmp_path / split / w).mkdir(parents=True)
    chosen = IMAGENET_SUBSETS['imagewoof']
    for k, i in enumerate(chosen):
        for split, n in [('train', 3), ('val', 1)]:
            for j in range(n):
                Image.fromarray(np.full((20, 30, 3), 10 * k, np.uint8)).save(
                    tmp_path / split / wnids[i] / f'{j}.JPEG', quality=100
                )
    r = imagenet_subset('imagewoof', tmp_path, size=16, val_frac=0)
    assert r.classes == [wnids[i] for i in chosen] and r.im_size == (16, 16) and r.train.lazy
    assert (len(r.train), len(r.test)) == (30, 10)
    gray = r.denormalize(r.test.images).mean((1, 2, 3)) * 255
    assert torch.allclose(gray, torch.arange(10.0) * 10, atol=1.5)
    with pytest.raises(ValueError, match='unknown ImageNet subset'):
        imagenet_subset('imagecats', tmp_path)


def test_imagenet_subset_needs_full_class_list(tmp_path):
    (tmp_path / 'train' / 'n0').mkdir(parents=True)
    (tmp_path / 'val').mkdir()
    with pytest.raises(ValueError, match='1,000 are needed'):
        imagenet_subset('imagenette', tmp_path)
    with pytest.raises(FileNotFoundError, match='train/<wnid>/ and val/<wnid>/'):
        imagenet_subset('imagenette', tmp_path / 'nope')


def test_tiny_imagenet_missing_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match='wnids.txt'):
        tiny_imagenet(tmp_path)


def test_digits_protocol_is_fixed():
    a, b = digits(), digits()
    assert torch.equal(a.test.images, b.test.images) and len(a.test) == 450
    assert len(a.train) + len(a.val) == 1347
