"""One discriminator call for the real and the fake batch, where that
computes what two calls would."""
import copy

import pytest
import torch

from deblurkit.models.discriminators import DoubleScaleDiscriminator
from deblurkit.models.losses import RaGANLSLoss
from deblurkit.models.losses.base_adversarial_loss import predict_pair


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
