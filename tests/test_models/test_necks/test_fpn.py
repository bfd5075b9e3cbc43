"""FPN without top-down convolutions (official fpn_inception_simple and
fpn_dense)."""
import torch
import torch.nn.functional as F
from mmengine.config import Config

from deblurkit.models.necks import FPN

CHANNELS = (8, 12, 16, 24, 32)


def maps(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(1, c, 64 // s, 64 // s, generator=g)
            for c, s in zip(CHANNELS, (2, 4, 8, 16, 32))]


def test_without_top_down_convs_maps_are_sums():
    neck = FPN(CHANNELS, num_filters=16, top_down_convs=False)
    assert not any(name.startswith('td') for name in neck.state_dict())
    enc = maps()
    with torch.no_grad():
        map0, map1, map2, map3, map4 = neck(enc)
        up = lambda x: F.interpolate(x, scale_factor=2)  # noqa: E731
        expected4 = neck.lateral4(enc[4])
        expected3 = neck.lateral3(enc[3]) + up(expected4)
        expected2 = neck.lateral2(enc[2]) + up(expected3)
    torch.testing.assert_close(map4, expected4)
    torch.testing.assert_close(map3, expected3)
    torch.testing.assert_close(map2, expected2)
    assert map0.shape[1] == 8 and map1.shape[-1] == 16
    assert any(name.startswith('td1') for name in FPN(
        CHANNELS, num_filters=16).state_dict())


def test_simple_inception_config_differs_from_inception_in_the_fpn_only():
    simple = Config.fromfile('configs/deblurganv2_inception_simple_gopro.py')
    full = Config.fromfile('configs/deblurganv2_inception_gopro.py')
    assert simple.model.generator.neck.pop('top_down_convs') is False
    assert simple.model.to_dict() == full.model.to_dict()
