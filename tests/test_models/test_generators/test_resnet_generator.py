"""ResnetGenerator: the DeblurGAN v1 generator of the official code."""
import pytest
import torch

from deblurkit.models.generators import ResnetGenerator
from deblurkit.models.generators.contract import SizeAdapter


def test_layers_follow_the_official_module():
    g = ResnetGenerator()  # 64 channels, 9 blocks, instance norm
    state = g.state_dict()
    shapes = {
        'model.1.weight': (64, 3, 7, 7),  # after a 3-pixel reflection pad
        'model.4.weight': (128, 64, 3, 3),
        'model.7.weight': (256, 128, 3, 3),
        'model.19.weight': (256, 128, 3, 3),  # ConvTranspose: (in, out, ..)
        'model.22.weight': (128, 64, 3, 3),
        'model.26.weight': (3, 64, 7, 7),
        'model.10.conv_block.1.weight': (256, 256, 3, 3),
    }
    for key, shape in shapes.items():
        assert tuple(state[key].shape) == shape, key
    blocks = [k for k in state if k.endswith('conv_block.1.weight')]
    assert len(blocks) == 9
    # Instance norm: biased convolutions and running buffers, no weights.
    assert 'model.1.bias' in state and 'model.2.running_mean' in state
    assert 'model.2.weight' not in state
    assert ResnetGenerator(norm='batch').model[1].bias is None
    dropout = ResnetGenerator(base_channels=4, num_blocks=1, dropout=True)
    assert isinstance(dropout.model[10].conv_block[4], torch.nn.Dropout)


def tiny(**kwargs):
    torch.manual_seed(0)
    return ResnetGenerator(base_channels=4, num_blocks=2, **kwargs).eval()


def zero_last_conv(g):
    with torch.no_grad():
        g.model[-2].weight.zero_()
        g.model[-2].bias.zero_()
    return g


def test_learn_residual_adds_the_input_and_clamps():
    x = torch.rand(2, 3, 36, 44) * 2 - 1
    with torch.no_grad():
        assert torch.equal(zero_last_conv(tiny())(x), x)
        assert torch.equal(
            zero_last_conv(tiny(learn_residual=False))(x),
            torch.zeros_like(x))
        out = tiny()(x)
    assert out.shape == x.shape and out.abs().max() <= 1
    assert not torch.equal(out, x)


def test_pad_multiple_is_what_the_strides_need():
    assert ResnetGenerator.pad_multiple == 4
    x = torch.rand(1, 3, 34, 38) * 2 - 1
    with torch.no_grad():
        # Why it needs multiples of 4 (without the residual sum, which
        # would fail to broadcast):
        assert tiny(learn_residual=False)(x).shape[-2:] == (36, 40)
        assert SizeAdapter(tiny())(x).shape == x.shape


def test_norm_stats_switch():
    g = tiny()
    g.norm_stats = 'running'
    assert all(m.norm_stats == 'running' for m in g.modules()
               if hasattr(m, 'train_norm_stats'))
    with pytest.raises(ValueError, match='norm_stats must be one of'):
        g.norm_stats = 'nope'
