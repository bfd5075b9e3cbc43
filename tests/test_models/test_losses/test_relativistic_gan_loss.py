import math

import pytest
import torch

from deblurkit.models.losses import RaGANLoss, RaGANLSLoss
from deblurkit.registry import LOSSES


def batch(*values):
    return torch.tensor(values).view(1, 1, 1, len(values))


def identity(x):
    return [x]


def test_ragan_ls_d_and_g_on_first_step():
    loss = LOSSES.build(dict(type='RaGANLSLoss'))
    real, fake = batch(1.0, 3.0), batch(0.0, -2.0)
    # Pools after the push: mean real 2, mean fake -1.
    # rel_real = [2, 4], rel_fake = [-2, -4]
    # D: (mean([1, 9]) + mean([1, 9])) / 2 = 5
    assert loss.loss_d(identity, real, fake).item() == pytest.approx(5.0)
    # G: (mean((rel_real + 1)^2) + mean((rel_fake - 1)^2)) / 2
    #  = (mean([9, 25]) + mean([9, 25])) / 2 = 17
    assert loss.loss_g(identity, real, fake).item() == pytest.approx(17.0)
    # G only reads the pools.
    assert len(loss.real_pools[0]) == len(loss.fake_pools[0]) == 1


def test_ragan_ls_pools_keep_the_last_pool_size_d_steps():
    loss = RaGANLSLoss(pool_size=2)
    loss.loss_d(identity, batch(1.0, 3.0), batch(0.0, -2.0))
    # Step 2: pools real {1, 3, 5, 5} -> 3.5, fake {0, -2, 1, 1} -> 0.
    # rel_real = [5, 5] -> (5 - 1)^2 = 16; rel_fake = [-2.5, -2.5] -> 2.25
    step2 = loss.loss_d(identity, batch(5.0, 5.0), batch(1.0, 1.0))
    assert step2.item() == pytest.approx((16 + 2.25) / 2)
    # Step 3 drops step 1: real {5, 5, 0, 0} -> 2.5, fake {1, 1, 2, 4} -> 2.
    # rel_real = [-2, -2] -> 9; rel_fake = [-0.5, 1.5] -> mean(0.25, 6.25)
    step3 = loss.loss_d(identity, batch(0.0, 0.0), batch(2.0, 4.0))
    assert step3.item() == pytest.approx((9 + 3.25) / 2)
    assert len(loss.real_pools[0]) == 2
    # G step with the same pools: rel_real = [0 - 2] + 1 -> 1;
    # rel_fake = [0 - 2.5] - 1 -> 12.25.
    g = loss.loss_g(identity, batch(0.0), batch(0.0))
    assert g.item() == pytest.approx((1 + 12.25) / 2)


def test_pools_average_elements_of_different_batch_sizes():
    loss = RaGANLSLoss(pool_size=3)
    loss.loss_d(identity, batch(4.0), batch(0.0))
    loss.loss_d(identity, batch(1.0, 1.0), batch(0.0, 0.0))
    # Real pool mean: (4 + 1 + 1) / 3 = 2, as a concatenation would give.
    assert loss.real_pools[0].mean().item() == pytest.approx(2.0)


def test_one_pair_of_pools_per_output_map():
    two_maps = RaGANLSLoss(pool_size=2)
    first, second = RaGANLSLoss(pool_size=2), RaGANLSLoss(pool_size=2)
    torch.manual_seed(0)
    for _ in range(3):
        real, fake = torch.randn(2, 1, 3, 3), torch.randn(2, 1, 3, 3)
        both = two_maps.loss_d(lambda x: [x, 2 * x + 1], real, fake)
        separate = (first.loss_d(identity, real, fake) +
                    second.loss_d(lambda x: [2 * x + 1], real, fake)) / 2
        torch.testing.assert_close(both, separate)
    assert len(two_maps.real_pools) == len(two_maps.fake_pools) == 2
    with pytest.raises(ValueError, match='3 maps'):
        two_maps.loss_d(lambda x: [x, x, x], real, fake)


def test_g_gradient_reaches_fake_only():
    loss = RaGANLSLoss()
    loss.loss_d(identity, batch(1.0, 3.0), batch(0.0, -2.0))
    real = batch(1.0, 3.0).requires_grad_(True)
    fake = batch(0.0, -2.0).requires_grad_(True)
    # A real op, so that no_grad can cut D(real) from the graph.
    loss.loss_g(lambda x: [x * 1], real, fake).backward()
    assert real.grad is None
    # d/df_i of mean_i((f_i - 2 - 1)^2) / 2 over 2 elements = (f_i - 3) / 2
    torch.testing.assert_close(fake.grad, batch(-1.5, -2.5))


def test_g_before_d_is_an_error():
    with pytest.raises(RuntimeError, match='loss_d'):
        RaGANLSLoss().loss_g(identity, batch(1.0), batch(0.0))


@pytest.mark.parametrize('pool_size', [0, -1, 2.5, True])
def test_bad_pool_size(pool_size):
    with pytest.raises(ValueError, match='pool_size'):
        RaGANLSLoss(pool_size=pool_size)


def test_ragan_bce_values():
    def softplus(x):
        return math.log1p(math.exp(x))

    loss = RaGANLoss()
    real, fake = batch(1.0, 3.0), batch(0.0, -2.0)
    # rel_real = [2, 4], rel_fake = [-2, -4] (as above).
    # BCE(x, 1) = softplus(-x), BCE(x, 0) = softplus(x)
    d = ((softplus(-2) + softplus(-4)) / 2 +
         (softplus(-2) + softplus(-4)) / 2) / 2
    g = ((softplus(2) + softplus(4)) / 2 + (softplus(2) + softplus(4)) / 2) / 2
    assert loss.loss_d(identity, real, fake).item() == pytest.approx(d)
    assert loss.loss_g(identity, real, fake).item() == pytest.approx(g)
