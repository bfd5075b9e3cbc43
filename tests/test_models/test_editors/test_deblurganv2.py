"""The DeblurGAN-v2 model: one D step then one G step, DDP-safe warm-up."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from deblurkit.models.editors import DeblurGANv2
from deblurkit.structures import DeblurDataSample


@pytest.fixture(autouse=True)
def fresh_message_hub(request):
    # Outside a Runner the model counts its own iterations; a message hub
    # left current by an earlier test's Runner would lend it its 'iter'.
    from mmengine.logging import MessageHub
    MessageHub.get_instance(f'test-deblurganv2-{request.node.name}')


def small_model(discriminator=True, warmup_iters=0, channels_last=False):
    torch.manual_seed(0)
    return DeblurGANv2(
        generator=dict(
            type='FPNGenerator',
            backbone=dict(type='MobileNetV2'),
            neck=dict(type='FPN', num_filters=16),
            head=dict(type='FPNHead', num_filters=8)),
        discriminator=dict(type='PatchDiscriminator', n_layers=2,
                           base_channels=8) if discriminator else None,
        content_loss=dict(type='L1Loss'),
        adv_loss=dict(type='RaGANLSLoss'),
        adv_lambda=0.5,
        warmup_iters=warmup_iters,
        channels_last=channels_last)


def batch(n=2, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(n):
        sharp = torch.rand(3, size, size, generator=g)
        inputs.append(sharp.roll(1, -1) * 0.5 + sharp * 0.5)
        samples.append(DeblurDataSample(gt_img=sharp))
    return dict(inputs=inputs, data_samples=samples)


def optim_wrappers(model):
    wrappers = dict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(),
                                                lr=1e-2)))
    if model.discriminator is not None:
        wrappers['discriminator'] = OptimWrapper(
            torch.optim.Adam(model.discriminator.parameters(), lr=1e-2))
    return OptimWrapperDict(**wrappers)


def params(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def changed(before, module):
    now = dict(module.named_parameters())
    return {k for k in before if not torch.equal(before[k], now[k])}


def test_train_step_updates_both_players_and_logs():
    model = small_model()
    wrappers = optim_wrappers(model)
    g0, d0 = params(model.generator), params(model.discriminator)
    log = model.train_step(batch(), wrappers)
    assert set(log) == {
        'loss_d', 'loss_d_unweighted', 'loss_g_adv', 'loss_g_adv_weighted',
        'loss_content', 'loss_g'
    }
    assert log['loss_g'] == pytest.approx(
        log['loss_content'] + 0.5 * log['loss_g_adv'], rel=1e-5)
    # adv_lambda = 0.5: the weighted terms are half the unweighted ones.
    assert log['loss_g_adv_weighted'] == pytest.approx(
        0.5 * log['loss_g_adv'], rel=1e-6)
    assert log['loss_d'] == pytest.approx(
        0.5 * log['loss_d_unweighted'], rel=1e-6)
    assert changed(g0, model.generator) == set(g0)
    # A relativistic loss is blind to a shift of all predictions, so the
    # last bias gets no gradient in exact arithmetic (in floating point a
    # rounding-level one, which Adam may turn into a step); every other D
    # parameter moves.
    last_bias = sorted(k for k in d0 if k.endswith('bias'))[-1]
    assert set(d0) - {last_bias} <= changed(d0, model.discriminator)
    # The generator step leaves no gradient in the discriminator, so the
    # next D step starts clean (and gradient accumulation stays correct).
    assert all(p.grad is None or not p.grad.any()
               for p in model.discriminator.parameters())


def test_discriminator_step_uses_the_detached_generator_output():
    model = small_model()
    wrappers = optim_wrappers(model)
    # A discriminator step that saw a non-detached output would put
    # gradients into the generator before the generator step.
    seen = []
    original = model.adv_loss.loss_d

    def spy(disc, real, fake):
        seen.append(fake.requires_grad)
        return original(disc, real, fake)

    model.adv_loss.loss_d = spy
    model.train_step(batch(), wrappers)
    assert seen == [False]


def test_backbone_is_frozen_for_the_warmup_only():
    model = small_model(warmup_iters=2)
    wrappers = optim_wrappers(model)
    backbone0 = params(model.generator.backbone)
    neck0 = params(model.generator.neck)
    model.train_step(batch(seed=1), wrappers)
    model.train_step(batch(seed=2), wrappers)
    assert changed(backbone0, model.generator.backbone) == set()
    assert changed(neck0, model.generator.neck) == set(neck0)
    # Adam has no state for the frozen backbone (it starts at unfreezing).
    optimizer = wrappers['generator'].optimizer
    assert all(p not in optimizer.state
               for p in model.generator.backbone.parameters())
    # Parameters keep requires_grad=True throughout: DDP hooks stay valid.
    assert all(p.requires_grad for p in model.generator.parameters())
    model.train_step(batch(seed=3), wrappers)
    assert changed(backbone0, model.generator.backbone) == set(backbone0)


def test_warmup_computes_no_backbone_gradient_outside_ddp():
    # Outside DDP the frozen backbone gets no graph (as in the official
    # code), so autograd computes no gradient for it at all.
    model = small_model(warmup_iters=1)
    wrappers = optim_wrappers(model)
    calls = []
    first = next(model.generator.backbone.parameters())
    first.register_hook(lambda grad: calls.append(model.current_iter()))
    model.train_step(batch(seed=1), wrappers)
    assert calls == []
    assert all(p.requires_grad for p in model.generator.parameters())
    model.train_step(batch(seed=2), wrappers)
    assert len(calls) == 1


def test_content_only_training_without_discriminator():
    model = small_model(discriminator=False)
    wrappers = optim_wrappers(model)
    log = model.train_step(batch(), wrappers)
    assert set(log) == {'loss_content', 'loss_g'}


def test_predict_crops_back_and_maps_to_unit_range():
    model = small_model().eval()
    data = dict(
        inputs=[torch.rand(3, 40, 50)],
        data_samples=[DeblurDataSample(gt_img=torch.rand(3, 40, 50))])
    with torch.no_grad():
        out = model.val_step(data)
    assert out[0].pred_img.shape == (3, 40, 50)
    assert out[0].input_img.shape == (3, 40, 50)
    assert 0 <= out[0].pred_img.min() and out[0].pred_img.max() <= 1
    assert torch.allclose(out[0].input_img, data['inputs'][0], atol=1e-6)


def test_train_step_without_gt_is_refused():
    model = small_model()
    data = batch()
    data['data_samples'] = [DeblurDataSample() for _ in range(2)]
    with pytest.raises(ValueError, match='gt_img'):
        model.train_step(data, optim_wrappers(model))


def test_unknown_discriminator_type_is_named():
    with pytest.raises(KeyError, match='model.discriminator'):
        DeblurGANv2(
            generator=dict(
                type='FPNGenerator', backbone=dict(type='MobileNetV2')),
            discriminator=dict(type='NoSuchD'))


def test_model_without_backbone_trains_with_warmup():
    model = small_model(warmup_iters=5)
    model.generator = torch.nn.Conv2d(3, 3, 3, padding=1)
    wrappers = optim_wrappers(model)
    before = copy.deepcopy(model.generator.weight.detach())
    model.train_step(batch(), wrappers)
    assert model.backbone is None
    assert not torch.equal(before, model.generator.weight)


def test_gradient_accumulation_comes_from_the_optim_wrapper():
    model = small_model(discriminator=False)
    wrapper = OptimWrapper(
        torch.optim.SGD(model.generator.parameters(), lr=0.1),
        accumulative_counts=2)
    wrappers = OptimWrapperDict(generator=wrapper)
    wrapper.initialize_count_status(model, 0, 4)
    head0 = params(model.generator.head)
    model.train_step(batch(seed=1), wrappers)
    # First of two accumulated steps: gradients kept, no update yet.
    assert changed(head0, model.generator.head) == set()
    assert model.generator.head.final.weight.grad is not None
    model.train_step(batch(seed=2), wrappers)
    # (Conv biases right before an instance norm get no gradient at all.)
    assert changed(head0, model.generator.head) >= {
        'final.weight', 'final.bias', 'head1.block0.weight', 'smooth.0.weight'
    }


class NaNContent(torch.nn.Module):
    def forward(self, pred, target):
        return (pred - target).abs().mean() * float('nan')


class InfGradientContent(torch.nn.Module):
    # Finite value (the L1), infinite gradient: d sqrt(x) / dx at x = 0.
    def forward(self, pred, target):
        return (pred - target).abs().mean() + torch.sqrt(
            (pred - pred.detach()).sum())


@pytest.mark.parametrize('content,message', [
    (NaNContent(), 'iteration 0: loss_content is nan'),
    (InfGradientContent(), 'iteration 0: the gradient of the generator is '
     '(inf|nan)'),
])
def test_non_finite_training_stops_before_the_generator_update(
        content, message):
    model = small_model()
    model.content_loss = content
    wrappers = optim_wrappers(model)
    g0 = params(model.generator)
    with pytest.raises(FloatingPointError, match=message):
        model.train_step(batch(), wrappers)
    assert changed(g0, model.generator) == set()
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_restart_after_warmup_gives_the_generator_a_fresh_adam():
    model = small_model(warmup_iters=2)
    model.restart_optimizer_after_warmup = True
    wrappers = optim_wrappers(model)
    for _ in range(3):
        model.train_step(batch(), wrappers)
    steps = {int(s['step'])
             for s in wrappers['generator'].optimizer.state.values()}
    # Iteration 2 cleared the state: one step since, head and backbone.
    assert steps == {1}
    assert len(wrappers['generator'].optimizer.state) == len(
        list(model.generator.parameters()))
    steps_d = {int(s['step'])
               for s in wrappers['discriminator'].optimizer.state.values()}
    assert steps_d == {3}


def test_channels_last_training_is_the_same_computation():
    # Same initial weights (small_model seeds), same batch, one plain SGD
    # step, in each layout. The loss agrees to float rounding, and so do
    # the FPN's and head's updates (the gradient times the learning rate).
    # The backbone's gradients of this tiny random-initialised network are
    # chaotic at the rounding scale (ReLU6 kinks under batch norm): an
    # input change of 1e-6 moves them by about 1%, as much as the layout
    # does, so the update as a whole is compared, at 2%. The weights stay
    # channels-last after the update; the GAN's first discriminator loss
    # agrees as well.
    runs = {}
    for channels_last in (False, True):
        model = small_model(discriminator=False, channels_last=channels_last)
        before = params(model.generator)
        wrappers = OptimWrapperDict(generator=OptimWrapper(
            torch.optim.SGD(model.generator.parameters(), lr=1.0)))
        loss = model.train_step(batch(n=4, size=64), wrappers)['loss_g']
        steps = {k: before[k] - v for k, v in params(model.generator).items()}
        gan = small_model(channels_last=channels_last)
        loss_d = gan.train_step(batch(), optim_wrappers(gan))['loss_d']
        runs[channels_last] = (loss, steps, loss_d, model)
    (loss0, steps0, d0, _), (loss1, steps1, d1, model) = runs[False], runs[True]
    assert loss1 == pytest.approx(loss0, rel=1e-5)
    assert d1 == pytest.approx(d0, rel=1e-5)
    fpn_and_head = [k for k in steps0 if k.endswith('weight')
                    and not k.startswith('backbone.')]
    assert len(fpn_and_head) > 10
    for name in fpn_and_head:
        scale = float(steps0[name].abs().max())
        assert scale > 0, name
        torch.testing.assert_close(steps1[name], steps0[name], rtol=0,
                                   atol=1e-3 * scale, msg=name)
    whole0 = torch.cat([v.flatten() for v in steps0.values()])
    whole1 = torch.cat([steps1[k].flatten() for k in steps0])
    assert float((whole1 - whole0).norm() / whole0.norm()) < 0.02
    conv = model.generator.backbone.features[0][0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()


def test_channels_last_option_converts_the_players_it_builds():
    model = small_model(channels_last=True)
    for module in (model.generator, model.discriminator):
        kernels = [p for p in module.parameters() if p.dim() == 4]
        assert kernels and all(
            p.is_contiguous(memory_format=torch.channels_last)
            for p in kernels)
    # A state dict saved that way loads into a default-layout model and
    # gives the same output (to an eighth of an 8-bit level: float rounding
    # through a random-initialised network).
    plain = small_model()
    plain.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    model.eval(), plain.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.generator(x), plain.generator(x),
                                   rtol=0, atol=1e-3)


@pytest.mark.parametrize('cuda, capability, expected',
                         [(False, 'AVX512', True), (False, 'AVX2', False),
                          (False, 'DEFAULT', False), (True, 'AVX512', False)])
def test_channels_last_auto_follows_the_machine(monkeypatch, cuda, capability,
                                                expected):
    from deblurkit.models.editors.deblurganv2 import resolve_channels_last
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability',
                        lambda: capability)
    assert resolve_channels_last('auto') is expected
    assert resolve_channels_last(True) is True
    assert resolve_channels_last(False) is False
    with pytest.raises(ValueError, match='model.channels_last'):
        resolve_channels_last('yes')
