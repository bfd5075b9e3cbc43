"""UNetGenerator: the official unet_seresnext decoder on any backbone."""
import torch

from deblurkit.models.generators import UNetGenerator

TINY_BACKBONE = dict(type='TimmBackbone', model_name='test_resnet')


def tiny(**kwargs):
    torch.manual_seed(0)
    return UNetGenerator(backbone=TINY_BACKBONE, num_filters=4,
                         **kwargs).eval()


def test_decoder_widths_follow_the_backbone():
    g = UNetGenerator(backbone=dict(type='TimmBackbone',
                                    model_name='seresnext50_32x4d'))
    f = 32
    widths = {
        'center': (2048, 16 * f),
        'dec5': (2048 + 8 * f, 16 * f),
        'dec4': (1024 + 2 * f, 8 * f),
        'dec3': (512 + 2 * f, 4 * f),
        'dec2': (256 + 2 * f, 2 * f),
        'dec1': (2 * f, f),
        'dec0': (10 * f, 2 * f),
    }
    for name, (c_in, c_mid) in widths.items():
        conv = getattr(g, name)[0]
        conv = conv[0] if isinstance(conv, torch.nn.Sequential) else conv
        assert (conv.in_channels, conv.out_channels) == (c_in, c_mid), name
    assert g.dec5[1].kernel_size == (4, 4) and g.dec5[1].stride == (2, 2)
    assert (g.final.in_channels, g.final.kernel_size) == (2 * f, (1, 1))


def test_output_is_a_bounded_residual():
    x = torch.rand(2, 3, 64, 96) * 2 - 1
    g = tiny()
    with torch.no_grad():
        out = g(x)
        assert out.shape == x.shape and out.abs().max() <= 1
        g.final.weight.zero_()
        g.final.bias.zero_()
        assert torch.equal(g(x), x)
        flat = tiny(global_residual=False)
        flat.final.weight.zero_()
        flat.final.bias.zero_()
        assert torch.equal(flat(x), torch.zeros_like(x))


def test_bilinear_decoder_and_contract():
    g = tiny(deconv=False)
    assert g.pad_multiple == 32 and g.norm_stats == 'per_image'
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert g(x).shape == x.shape
