"""What the lecture tells, the notebook shows (issue 25): augmentation gallery, class
activation maps, receptive fields, memory table, branch use."""
import os

os.environ.setdefault('MPLBACKEND', 'Agg')

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from week5 import png, viz  # noqa: E402
from week5.data import FashionMNIST  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close('all')


# ------------------------------------------------------------------- augmentation gallery
@pytest.fixture(scope='module')
def augmented():
    return FashionMNIST(batch_size=8, num_train=40, num_val=8, augment=True, progress=False)


def test_gallery_draws_from_the_training_pipeline(augmented, monkeypatch):
    calls = []
    train_transform = augmented.get_dataloader(True).transforms[0]
    real = type(train_transform).to_numpy

    def spy(self, images, rng=None, out=None):
        calls.append((self, rng is not None))
        return real(self, images, rng, out)
    monkeypatch.setattr(type(train_transform), 'to_numpy', spy)
    fig = viz.show_augmentations(augmented, index=3, num=16)
    assert (train_transform, True) in calls          # the training batches' own transform
    assert png.min_text_px(fig, dpi=100) >= 17.5


def test_copies_are_flips_and_crops_of_the_image(augmented):
    original, copies = augmented.augmented_copies(index=3, num=16, seed=1)
    assert copies.shape == (16, 1, 28, 28)
    image, pad = original[0], 2
    padded = [np.pad(im, pad) for im in (image, image[:, ::-1])]
    for copy in copies[:, 0]:
        assert any(np.array_equal(copy, p[dy:dy + 28, dx:dx + 28]) for p in padded
                   for dy in range(2 * pad + 1) for dx in range(2 * pad + 1))
    assert len({c.tobytes() for c in copies}) > 4          # not one copy repeated


def test_gallery_needs_an_augmenting_data_module():
    plain = FashionMNIST(batch_size=8, num_train=20, num_val=8, progress=False)
    with pytest.raises(ValueError, match='augment=True'):
        plain.augmented_copies()
