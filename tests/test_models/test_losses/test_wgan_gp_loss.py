import pytest
import torch
import torch.nn as nn

from deblurkit.models.losses import WGANGPLoss
from deblurkit.registry import LOSSES


class LinearCritic(nn.Module):
    """D(x) = <w, x> per image: its gradient is w everywhere."""

    def __init__(self, norm):
        super().__init__()
        w = torch.randn(3, 8, 8)
        self.w = nn.Parameter(w / w.norm() * norm)

    def forward(self, x):
        return [(x * self.w).sum((1, 2, 3)).view(-1, 1, 1, 1)]


@pytest.mark.parametrize('norm,penalty', [(1.0, 0.0), (2.0, 1.0)])
def test_penalty_of_a_linear_critic(norm, penalty):
    torch.manual_seed(0)
    critic = LinearCritic(norm)
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    loss = LOSSES.build(dict(type='WGANGPLoss'))
    assert loss.gradient_penalty(critic, real, fake)[0].item() == (
        pytest.approx(penalty, abs=1e-6))
    wasserstein = critic(fake)[0].mean() - critic(real)[0].mean()
    value = loss.loss_d(critic, real, fake)
    assert value.item() == pytest.approx(
        wasserstein.item() + 10 * penalty, abs=1e-5)
    # The penalty is trained through:
    # d/dw [(||w|| - 1)^2] = 2 (||w|| - 1) w / ||w||.
    value.backward()
    w = critic.w.detach()
    expected = (fake.mean(0) - real.mean(0) + 10 * 2 * (norm - 1) * w / norm)
    torch.testing.assert_close(critic.w.grad, expected)


def test_g_loss_is_minus_the_fake_score():
    critic = LinearCritic(1.0)
    fake = torch.randn(2, 3, 8, 8)
    loss = WGANGPLoss(lambda_gp=5)
    torch.testing.assert_close(
        loss.loss_g(critic, torch.randn(2, 3, 8, 8), fake),
        -critic(fake)[0].mean())


def test_averages_over_maps():
    torch.manual_seed(0)
    critic = LinearCritic(1.0)
    real, fake = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    # Second map: 2 * D, gradient norm 2, penalty 1.
    loss = WGANGPLoss().loss_d(
        lambda x: critic(x) + [2 * critic(x)[0]], real, fake)
    wasserstein = critic(fake)[0].mean() - critic(real)[0].mean()
    assert loss.item() == pytest.approx(
        ((wasserstein + 2 * wasserstein + 10) / 2).item(), abs=1e-5)


def test_negative_lambda():
    with pytest.raises(ValueError, match='lambda_gp'):
        WGANGPLoss(lambda_gp=-1)
