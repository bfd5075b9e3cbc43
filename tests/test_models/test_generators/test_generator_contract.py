"""The generator contract: any module (N, 3, H, W) -> same shape in [-1, 1],
its pad_multiple honoured, a broken contract named at the first batch, and
the fast path only for the classes it was written for."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, OptimWrapperDict

from deblurkit.apis import deblur_image
from deblurkit.models.editors import DeblurGANv2
from deblurkit.models.generators import FPNGenerator
from deblurkit.models.generators.contract import (SizeAdapter,
                                                  check_generator_output,
                                                  pad_multiple_of)
from deblurkit.models.generators.fast import (fast_generator_for,
                                              has_fast_path)
from deblurkit.registry import MODELS
from deblurkit.runtime import fast_inference
from deblurkit.structures import DeblurDataSample

TINY_FPN = dict(
    type='FPNGenerator',
    backbone=dict(type='MobileNetV2'),
    neck=dict(type='FPN', num_filters=16),
    head=dict(type='FPNHead', num_filters=8))


class Shrinker(nn.Module):
    """Breaks the contract: drops the last row and column."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return torch.tanh(self.conv(x))[..., :-1, :-1]


class Unbounded(nn.Module):
    """Breaks the contract: no final activation."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return 3 * x + self.conv(x)


class NeedsMultipleOf64(nn.Module):
    """Keeps the contract for sizes that are multiples of 64 only."""

    pad_multiple = 64

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.seen = []

    def forward(self, x):
        self.seen.append(tuple(x.shape[-2:]))
        if x.shape[-2] % 64 or x.shape[-1] % 64:
            raise RuntimeError('not a multiple of 64')
        return torch.clamp(torch.tanh(self.conv(x)) + x, -1, 1)


class NegatedFPN(FPNGenerator):
    """A subclass with its own forward: the fast path must not run it."""

    def forward(self, x):
        return -super().forward(x)


class DeclaredFPN(FPNGenerator):
    """Declares that it computes FPNGenerator.forward."""

    fast_path = True


class FalselyDeclaredFPN(NegatedFPN):
    fast_path = True


def model_with(generator):
    torch.manual_seed(0)
    return DeblurGANv2(
        generator=generator, content_loss=dict(type='L1Loss')).eval()


def batch(size=32):
    g = torch.Generator().manual_seed(0)
    sharp = torch.rand(3, size, size, generator=g)
    return dict(inputs=[sharp.roll(1, -1)],
                data_samples=[DeblurDataSample(gt_img=sharp)])


def train_once(model):
    wrappers = OptimWrapperDict(generator=OptimWrapper(
        torch.optim.Adam(model.generator.parameters(), lr=1e-3)))
    return model.train().train_step(batch(), wrappers)


def image(shape=(40, 56, 3)):
    return np.random.default_rng(0).integers(0, 256, shape, np.uint8)


@pytest.mark.parametrize('bad, message', [
    (Shrinker, r'model.generator \(Shrinker\) maps an input of shape '
     r'\(1, 3, 32, 32\) to an output of shape \(1, 3, 31, 31\)'),
    (Unbounded, r'model.generator \(Unbounded\) returned values in '
     r'\[-?[\d.]+, [\d.]+\].*\[-1, 1\]'),
])
def test_broken_contract_is_named_at_the_first_training_batch(bad, message):
    with pytest.raises(ValueError, match=message):
        train_once(model_with(bad()))


@pytest.mark.parametrize('bad, message', [
    (Shrinker, r'model.generator \(Shrinker\) maps an input of shape'),
    (Unbounded, r'model.generator \(Unbounded\) returned values'),
])
def test_broken_contract_is_named_at_the_first_inference(bad, message):
    with pytest.raises(ValueError, match=message):
        deblur_image(model_with(bad()), image())


def test_a_kept_contract_passes_and_is_checked_once():
    generator = nn.Tanh()
    x = torch.rand(1, 3, 8, 8) * 2 - 1
    check_generator_output(generator, x, generator(x))
    # Checked once: a later broken output of the same module is not
    # re-examined (the check costs one reduction, at the first batch).
    check_generator_output(generator, x, 2 * x)
    with pytest.raises(ValueError, match='returned non-finite values'):
        check_generator_output(nn.Tanh(), x, x / 0)


def test_the_preprocessor_pads_to_the_generators_multiple():
    generator = NeedsMultipleOf64()
    model = model_with(generator)
    assert pad_multiple_of(generator) == 64
    assert model.data_preprocessor.pad_size == 64  # lcm(32, 64)
    out = deblur_image(model, image((40, 70, 3)))
    assert out.shape == (40, 70, 3)
    assert generator.seen == [(64, 128)]
    # An FPN generator declares its total stride.
    assert pad_multiple_of(MODELS.build(TINY_FPN)) == 32


def test_size_adapter_pads_and_crops_back():
    generator = NeedsMultipleOf64()
    x = torch.rand(2, 3, 40, 70) * 2 - 1
    with torch.no_grad():
        out = SizeAdapter(generator)(x)
        padded = nn.functional.pad(x, (0, 58, 0, 24), mode='reflect')
        expected = generator(padded)[..., :40, :70]
    assert out.shape == x.shape
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_pad_multiple_must_be_a_positive_int():
    generator = nn.Tanh()
    generator.pad_multiple = 0
    with pytest.raises(ValueError, match='pad_multiple must be a positive'):
        pad_multiple_of(generator)


def test_fpn_subclass_with_its_own_forward_gets_its_own_output():
    torch.manual_seed(0)
    plain = MODELS.build(TINY_FPN)
    negated = NegatedFPN(**{k: v for k, v in TINY_FPN.items()
                            if k != 'type'})
    negated.load_state_dict(plain.state_dict())
    img = image()
    assert not has_fast_path(negated)
    out = deblur_image(model_with(negated), img)
    with fast_inference(False):
        parent = deblur_image(model_with(plain), img).astype(int)
    # -y in [-1, 1] is 1 - p in [0, 1]: 255 - the parent's pixels, up to
    # rounding of the exact halves.
    assert np.abs(out.astype(int) - (255 - parent)).max() <= 1
    assert np.abs(out.astype(int) - parent).max() > 10


def test_only_declared_classes_take_the_fast_path():
    kwargs = {k: v for k, v in TINY_FPN.items() if k != 'type'}
    plain = MODELS.build(TINY_FPN).eval()
    assert fast_generator_for(plain) is not plain
    declared = DeclaredFPN(**kwargs).eval()
    assert has_fast_path(declared)
    assert fast_generator_for(declared) is not declared
    # The declaration is not inherited by a subclass.
    child = type('Child', (DeclaredFPN, ), {})(**kwargs).eval()
    assert fast_generator_for(child) is child
    with pytest.raises(TypeError, match='declares fast_path = True but '
                       'overrides forward'):
        has_fast_path(FalselyDeclaredFPN(**kwargs))
