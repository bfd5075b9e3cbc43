import os.path as osp
import urllib.request

import pytest
import torch
import torch.nn.functional as F
from torchvision.models.vgg import cfgs, make_layers

from deblurkit.models.losses import CompositeLoss, L1Loss, PerceptualLoss
from deblurkit.registry import LOSSES

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
CACHE_NAME = 'vgg19-dcbb9e9d.pth'


def torchvision_features():
    # What torchvision's vgg19() builds as its ``features``.
    return make_layers(cfgs['E'], batch_norm=False)


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to download instead of waiting on the network."""

    def refuse(*args, **kwargs):
        raise AssertionError('PerceptualLoss tried to download')

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', refuse)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', refuse)
    monkeypatch.setattr(urllib.request, 'urlopen', refuse)


def loss_and_grad(loss, pred, target):
    """The loss and its gradient with respect to ``pred``."""
    x = pred.clone().requires_grad_()
    value = loss(x, target)
    value.backward()
    return value.detach(), x.grad


def noisy_pair():
    target = torch.rand(2, 3, 24, 20) * 2 - 1
    return (target + 0.3 * torch.randn_like(target)).clamp(-1, 1), target


@pytest.mark.parametrize('pixel_space', ['imagenet', 'unit'])
def test_equals_the_hand_formula_for_every_image_of_the_batch(pixel_space):
    torch.manual_seed(0)
    loss = LOSSES.build(
        dict(type='PerceptualLoss', pretrained=False,
             pixel_space=pixel_space))
    reference_vgg = torchvision_features()[:15].eval()
    reference_vgg.load_state_dict(loss.vgg.state_dict())
    pred = torch.rand(2, 3, 32, 32) * 2 - 1
    target = torch.rand(2, 3, 32, 32) * 2 - 1

    def formula(pred, target):
        p, t = (pred + 1) / 2, (target + 1) / 2
        n_p, n_t = (p - MEAN) / STD, (t - MEAN) / STD
        # The released training's pixel term compares the normalised
        # images (the official code normalised them in place); the paper's
        # compares the [0, 1] images.
        pixel = F.mse_loss(n_p, n_t) if pixel_space == 'imagenet' else \
            F.mse_loss(p, t)
        return 0.006 * F.mse_loss(reference_vgg(n_p),
                                  reference_vgg(n_t)) + 0.5 * pixel

    torch.testing.assert_close(loss(pred, target), formula(pred, target))
    # Also for the second image alone: nothing special about the first.
    torch.testing.assert_close(
        loss(pred[1:], target[1:]), formula(pred[1:], target[1:]))


def test_released_pixel_term_is_the_unit_one_over_std_squared():
    # Per channel, the MSE of normalised images is the [0, 1] MSE divided
    # by std^2 (about 20x): the factor the paper's formula misses.
    torch.manual_seed(1)
    pred = torch.rand(1, 3, 8, 8) * 2 - 1
    target = torch.rand(1, 3, 8, 8) * 2 - 1
    released = PerceptualLoss(pretrained=False, vgg_weight=0.0)
    paper = PerceptualLoss(pretrained=False, vgg_weight=0.0,
                           pixel_space='unit')
    per_channel = ((pred - target) / 2).pow(2).mean(dim=(0, 2, 3))
    expected = 0.5 * (per_channel / STD.flatten().pow(2)).mean()
    torch.testing.assert_close(released(pred, target), expected)
    ratio = released(pred, target) / paper(pred, target)
    assert 18 < float(ratio) < 21


def test_vgg_is_torchvision_vgg19_up_to_conv3_3():
    vgg = PerceptualLoss(pretrained=False).vgg
    reference = torchvision_features()[:15]
    # The same layers (the convolutions are WinogradConv2d, nn.Conv2d
    # subclasses with the same parameters).
    assert len(vgg) == len(reference)
    assert all(isinstance(m, type(r)) for m, r in zip(vgg, reference))
    assert isinstance(vgg[14], torch.nn.Conv2d) and vgg[14].out_channels == 256
    assert {k: v.shape for k, v in vgg.state_dict().items()} == {
        k: v.shape for k, v in reference.state_dict().items()}


def test_vgg_is_frozen_hidden_and_follows_the_module():
    loss = PerceptualLoss(pretrained=False)
    assert list(loss.state_dict()) == []
    assert list(loss.parameters()) == []
    assert all(not p.requires_grad for p in loss.vgg.parameters())
    loss.train()
    assert not loss.vgg.training
    # A checkpoint without VGG weights loads strictly, also inside a
    # composite loss.
    composite = CompositeLoss([loss, L1Loss()])
    composite.load_state_dict({}, strict=True)
    loss.double()
    assert loss.vgg[0].weight.dtype == torch.float64
    assert loss.mean.dtype == torch.float64
    pred = torch.rand(1, 3, 16, 16, dtype=torch.float64, requires_grad=True)
    loss(pred, torch.rand(1, 3, 16, 16, dtype=torch.float64)).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.vgg.parameters())


def test_pretrained_true_offline_explains_what_to_do(monkeypatch, tmp_path,
                                                     no_network):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        PerceptualLoss(pretrained=True)
    message = str(info.value)
    assert osp.join(str(tmp_path), 'hub', 'checkpoints', CACHE_NAME) in message
    assert 'https://download.pytorch.org/models/' + CACHE_NAME in message
    assert "pretrained='/path/to/" in message
    assert 'pretrained=False' in message
    assert 'model.content_loss.pretrained=False' in message


def test_pretrained_true_loads_the_cached_torchvision_file(
        monkeypatch, tmp_path, no_network):
    torch.manual_seed(1)
    features = torchvision_features()[:15]
    state = {f'features.{k}': v for k, v in features.state_dict().items()}
    state['classifier.0.weight'] = torch.zeros(2, 2)  # ignored
    cache = tmp_path / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    torch.save(state, cache / CACHE_NAME)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    loss = PerceptualLoss(pretrained=True)
    torch.testing.assert_close(loss.vgg[14].weight, features[14].weight)
    # A features-only file given by path works too.
    path = tmp_path / 'features.pth'
    torch.save(features.state_dict(), path)
    loss = PerceptualLoss(pretrained=str(path))
    torch.testing.assert_close(loss.vgg[0].bias, features[0].bias)


def test_missing_path_is_named(tmp_path):
    path = str(tmp_path / 'nowhere' / 'vgg19.pth')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        PerceptualLoss(pretrained=path)


def test_unfit_file_is_named(tmp_path):
    path = tmp_path / 'resnet.pth'
    torch.save({'conv1.weight': torch.zeros(1)}, path)
    with pytest.raises(RuntimeError, match='resnet.pth.*features.0.weight'):
        PerceptualLoss(pretrained=str(path))
    state = {
        f'features.{k}': torch.zeros(1)
        for k in torchvision_features()[:15].state_dict()
    }
    torch.save(state, path)
    with pytest.raises(RuntimeError, match='resnet.pth.*do not fit'):
        PerceptualLoss(pretrained=str(path))
    path.write_bytes(b'not a checkpoint')
    with pytest.raises(RuntimeError, match='cannot read.*resnet.pth'):
        PerceptualLoss(pretrained=str(path))


@pytest.mark.parametrize('kwargs,error,name', [
    (dict(pretrained=None), TypeError, 'pretrained'),
    (dict(pretrained=False, vgg_layer=37), ValueError, 'vgg_layer'),
    (dict(pretrained=False, pixel_space='rgb'), ValueError, 'pixel_space'),
    (dict(pretrained=False, channels_last='yes'), ValueError,
     'channels_last'),
])
def test_bad_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        PerceptualLoss(**kwargs)


def test_rejects_non_rgb_and_mismatched_shapes():
    loss = PerceptualLoss(pretrained=False)
    with pytest.raises(ValueError, match='RGB'):
        loss(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match='same shape'):
        loss(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 4))


def test_channels_last_vgg_gives_the_same_loss_and_gradient(monkeypatch):
    torch.manual_seed(0)
    pred = torch.rand(2, 3, 24, 20) * 2 - 1
    target = torch.rand(2, 3, 24, 20) * 2 - 1
    results = {}
    for layout in (False, True):
        torch.manual_seed(1)
        loss = PerceptualLoss(pretrained=False, channels_last=layout)
        p = pred.clone().requires_grad_(True)
        value = loss(p, target)
        value.backward()
        weight = loss.vgg[0].weight
        assert weight.is_contiguous(
            memory_format=torch.channels_last
            if layout else torch.contiguous_format)
        results[layout] = (value.detach(), p.grad)
    torch.testing.assert_close(results[True][0], results[False][0],
                               rtol=1e-5, atol=0)
    torch.testing.assert_close(results[True][1], results[False][1],
                               rtol=1e-4, atol=1e-9)
    # 'auto' follows the CPU's capability.
    loss = PerceptualLoss(pretrained=False)
    for capability, layout in (('AVX512', torch.channels_last),
                               ('AVX2', torch.channels_last),
                               ('DEFAULT', torch.contiguous_format)):
        monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability',
                            lambda: capability)
        assert loss._vgg_memory_format(pred) == layout


@pytest.mark.skipif(not torch._nnpack_available(), reason='needs NNPACK')
def test_winograd_vgg_matches_the_direct_one(monkeypatch):
    # conv_algorithm='winograd': the same loss and generator gradient as
    # the direct VGG, within Winograd's float32 rounding (measured 2e-6
    # relative), and every 3x3 convolution of the VGG went through it.
    import deblurkit.models.losses.perceptual_loss as module
    calls = []
    real = module.frozen_conv3x3
    monkeypatch.setattr(module, 'frozen_conv3x3',
                        lambda conv, x: calls.append(1) or real(conv, x))
    torch.manual_seed(0)
    direct = PerceptualLoss(pretrained=False, channels_last=False)
    wino = PerceptualLoss(pretrained=False, conv_algorithm='winograd')
    wino.vgg.load_state_dict(direct.vgg.state_dict())
    pred, target = noisy_pair()
    results = [loss_and_grad(loss, pred, target) for loss in (direct, wino)]
    assert len(calls) == 2 * 7  # conv1_1 .. conv3_3, pred and target
    (want, want_grad), (got, got_grad) = results
    torch.testing.assert_close(got, want, rtol=1e-5, atol=0)
    err = (got_grad - want_grad).norm() / want_grad.norm()
    assert 0 < err < 2e-5
    # The feature term itself, not only the pixel term, agrees.
    feats = [loss._features(pred) for loss in (direct, wino)]
    err = (feats[1] - feats[0]).norm() / feats[0].norm()
    assert err < 2e-5


def test_bad_conv_algorithm_is_refused():
    with pytest.raises(ValueError, match='conv_algorithm must be one of'):
        PerceptualLoss(pretrained=False, conv_algorithm='fft')


def test_auto_vgg_runs_winograd_and_matches_the_direct_one(monkeypatch):
    # The default 'auto': VGG's convolutions with 128+ channels in and
    # out run Winograd F(4x4, 3x3); same loss and generator
    # gradient as the direct VGG within float32 rounding.
    from deblurkit.models.layers import winograd_conv
    calls = []
    real = winograd_conv.winograd_conv2d_forward
    monkeypatch.setattr(winograd_conv, 'winograd_conv2d_forward',
                        lambda *a: calls.append(a[0].shape[1]) or real(*a))
    monkeypatch.setattr(winograd_conv, 'MIN_TILES', 1)
    torch.manual_seed(0)
    direct = PerceptualLoss(pretrained=False, conv_algorithm='direct')
    auto = PerceptualLoss(pretrained=False)
    auto.vgg.load_state_dict(direct.vgg.state_dict())
    pred, target = noisy_pair()
    results = [loss_and_grad(loss, pred, target) for loss in (direct, auto)]
    # Forward of conv2_2 .. conv3_3 (inputs of 128, 128, 256, 256
    # channels) for pred and for target, then the input gradients of the
    # pred's ones (output gradients of 256, 256, 256, 128 channels);
    # conv1_1 .. conv2_1 (64 channels in or out) run the direct kernel.
    assert calls == [128, 128, 256, 256] * 2 + [256, 256, 256, 128]
    (want, want_grad), (got, got_grad) = results
    torch.testing.assert_close(got, want, rtol=1e-5, atol=0)
    err = (got_grad - want_grad).norm() / want_grad.norm()
    assert 0 < err < 2e-5
