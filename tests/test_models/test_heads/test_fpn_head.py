"""FPNHead: the pyramid to a full-resolution residual."""
import pytest
import torch

from deblurkit.models.heads import FPNHead
from deblurkit.models.layers import DepthwiseSeparableConv2d


def pyramid(n=2, size=64, c_map0=16, c=8, seed=0):
    """map0 (C = num_filters channels) and map1..4 (F channels), strides
    2..32."""
    g = torch.Generator().manual_seed(seed)
    maps = [torch.randn(n, c_map0, size // 2, size // 2, generator=g)]
    for stride in (4, 8, 16, 32):
        maps.append(torch.randn(n, c, size // stride, size // stride,
                                generator=g))
    return maps


def test_residual_has_the_input_resolution():
    head = FPNHead(in_channels=8, num_filters=16, out_channels=3).eval()
    with torch.no_grad():
        out = head(pyramid(size=96))
    assert out.shape == (2, 3, 96, 96)


@pytest.mark.parametrize('conv_type', ['conv', 'dsc'])
def test_zero_init_residual_gives_zeros(conv_type):
    head = FPNHead(in_channels=8, num_filters=16, conv_type=conv_type,
                   zero_init_residual=True).eval()
    with torch.no_grad():
        out = head(pyramid())
    assert torch.equal(out, torch.zeros_like(out))


def test_final_is_depthwise_separable_in_dsc_mode():
    dense = FPNHead(in_channels=8, num_filters=16)
    dsc = FPNHead(in_channels=8, num_filters=16, conv_type='dsc')
    assert isinstance(dsc.final, DepthwiseSeparableConv2d)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(dsc) < count(dense) / 3


def test_per_image_instance_norm_makes_images_independent():
    torch.manual_seed(0)
    head = FPNHead(in_channels=8, num_filters=16).eval()
    maps = pyramid(n=3)
    with torch.no_grad():
        together = head(maps)
        alone = torch.cat([head([m[i:i + 1] for m in maps])
                           for i in range(3)])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)


def test_map4_reaches_the_output_through_nearest_upsampling():
    # Only head4 sees map4; a change of map4 at one 1/32 pixel changes the
    # residual on that pixel's 32x32 block and within the receptive field
    # of head4's two 3x3 convolutions (2 more 1/32 pixels, 64 px) plus the
    # few pixels of the convolutions after the upsampling; not beyond.
    torch.manual_seed(0)
    head = FPNHead(in_channels=8, num_filters=16, norm='none').eval()
    maps = pyramid(n=1, size=256)
    changed = [m.clone() for m in maps]
    changed[4][0, :, 0, 0] += 5
    with torch.no_grad():
        diff = (head(changed) - head(maps)).abs().amax(dim=1)[0]
    assert diff[:32, :32].min() > 0
    # receptive field of the convolutions after the upsampling: < 32 px
    assert diff[128:, :].max() == 0 and diff[:, 128:].max() == 0


def test_bad_conv_type_is_refused():
    with pytest.raises(ValueError, match='conv_type'):
        FPNHead(in_channels=8, num_filters=16, conv_type='sep')
