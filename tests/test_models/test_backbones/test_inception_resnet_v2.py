import pytest
import torch

from deblurkit.models.backbones import InceptionResNetV2


@pytest.fixture(scope='module')
def inception():
    return InceptionResNetV2().eval()


def test_taps_are_padded_to_nominal_strides(inception):
    with torch.no_grad():
        feats = inception(torch.rand(1, 3, 128, 160))
    assert [tuple(f.shape[1:]) for f in feats] == [
        (c, 128 // s, 160 // s)
        for c, s in zip(inception.out_channels, (2, 4, 8, 16, 32))
    ]
    assert inception.out_channels == (32, 64, 192, 1088, 2080)


def test_padding_is_reflection_of_unpadded_maps(inception):
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        enc0 = inception(x)[0]
        raw = inception.conv2d_1a(x)
    # (0, 1, 0, 1): the extra last row/column mirror the row/column before
    # the last one of the raw 63x63 map.
    assert raw.shape[-1] == 63
    assert torch.equal(enc0[..., :63, :63], raw)
    assert torch.equal(enc0[..., 63, :63], raw[..., 61, :])


def test_unused_layers_are_dropped(inception):
    names = dict(inception.named_children())
    assert 'mixed_7a' in names
    assert not {'repeat_2', 'block8', 'conv2d_7b', 'classif'} & set(names)


def test_small_inputs_are_refused(inception):
    with pytest.raises(ValueError, match='at least 128'):
        inception(torch.rand(1, 3, 96, 96))
