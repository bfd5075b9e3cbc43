"""One discriminator call for the real and the fake batch, where that
computes what two calls would."""
import copy

import pytest
import torch

from deblurkit.models.discriminators import DoubleScaleDiscriminator
from deblurkit.models.losses import RaGANLSLoss
from deblurkit.models.losses.base_adversarial_loss import (
    _running_stats_as_two_calls, predict_pair)


def small_d(norm='instance'):
    torch.manual_seed(0)
    return DoubleScaleDiscriminator(
        patch=dict(n_layers=2), full=dict(n_layers=3), base_channels=4,
        norm=norm).train()


def count_calls(module):
    calls = []
    module.register_forward_hook(lambda *_: calls.append(1))
    return calls


def two_calls(d, first, second):
    return d(first), d(second)


def norm_buffers(d):
    return {k: v for k, v in d.state_dict().items() if 'running' in k}


@pytest.mark.parametrize('split', [1, 2])
def test_instance_norm_d_runs_once_and_matches_two_calls(split):
    d = small_d()
    ref = copy.deepcopy(d)
    torch.manual_seed(1)
    fake, real = torch.randn(split, 3, 32, 32), torch.randn(split, 3, 32, 32)
    calls = count_calls(d)
    pred_fake, pred_real = predict_pair(d, fake, real)
    assert len(calls) == 1
    ref_fake, ref_real = two_calls(ref, fake, real)
    for got, want in zip(pred_fake + pred_real, ref_fake + ref_real):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    # The running statistics moved as by a call on fake, then one on real.
    got, want = norm_buffers(d), norm_buffers(ref)
    assert got.keys() == want.keys() and got
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-5, atol=1e-6)
    assert not torch.allclose(want['patch.model.3.running_mean'],
                              torch.zeros(8))


def test_batched_gradients_equal_two_calls():
    d, ref = small_d(), small_d()
    loss, ref_loss = RaGANLSLoss(), RaGANLSLoss()
    torch.manual_seed(2)
    real, fake = torch.randn(1, 3, 32, 32), torch.randn(1, 3, 32, 32)
    loss.loss_d(d, real, fake).backward()

    def separate(images):
        return ref(images)

    # The reference loss runs D twice (a plain callable is not per-sample).
    ref_loss.loss_d(separate, real, fake).backward()
    for (name, p), q in zip(d.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-7,
                                   msg=name)


def test_batch_norm_and_undeclared_discriminators_are_called_twice():
    d = small_d(norm='batch')
    ref = copy.deepcopy(d)
    calls = count_calls(d)
    fake, real = torch.randn(2, 3, 32, 32), torch.randn(2, 3, 32, 32)
    pred_fake, pred_real = predict_pair(d, fake, real)
    assert len(calls) == 2
    ref_fake, ref_real = two_calls(ref, fake, real)
    for got, want in zip(pred_fake + pred_real, ref_fake + ref_real):
        assert torch.equal(got, want)
    plain = torch.nn.Conv2d(3, 1, 3)
    calls = count_calls(plain)
    predict_pair(plain, fake, real)
    assert len(calls) == 2


@pytest.mark.parametrize('affine', [False, True])
def test_split_stats_norm_matches_instance_norm(affine):
    # The pair call's norm (native_batch_norm, statistics reused for the
    # running update) against two plain InstanceNorm2d calls: the same
    # output bits, the same gradients, running statistics within rounding.
    torch.manual_seed(3)
    norm = torch.nn.InstanceNorm2d(
        5, affine=affine, track_running_stats=True).train()
    if affine:
        with torch.no_grad():
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-1, 1)
    ref = copy.deepcopy(norm)
    x = (torch.randn(4, 5, 7, 6) * 3 + 1).requires_grad_()
    with _running_stats_as_two_calls(norm, 1):
        out = norm(x)
    assert 'forward' not in vars(norm)
    ref_out = torch.cat([ref(x[:1]), ref(x[1:])])
    # The plain norm on the whole batch gives the same bits.
    assert torch.equal(out, copy.deepcopy(norm)(x))
    grad = torch.randn_like(out)
    got = torch.autograd.grad(out, [x, *norm.parameters()], grad)
    want = torch.autograd.grad(ref_out, [x, *ref.parameters()], grad)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)
    for name in ('running_mean', 'running_var'):
        torch.testing.assert_close(
            getattr(norm, name), getattr(ref, name), rtol=1e-6, atol=1e-7)
    assert not torch.allclose(norm.running_var, torch.ones(5))
