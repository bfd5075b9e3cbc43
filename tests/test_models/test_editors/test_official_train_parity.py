"""deblurkit's training iterations against the official trainer's.

From the same start weights and batches as ``official_train_steps.pt``,
``DeblurGANv2.train_step`` with the GoPro config's model and optimizer
settings gives the official losses and parameter updates: one case trains
the whole generator from the first iteration, the other crosses the end of
warm-up (backbone frozen, then unfrozen with a fresh generator optimizer).

Tolerances. The first iteration, and every iteration before the backbone
first trains, is reproduced to 1e-4 (relative) in each loss; the
generator's adversarial loss is compared to 5e-4 there because it comes
after a discriminator step whose gradients, scaled by adv_lambda = 0.001,
sit near Adam's epsilon. Once the backbone trains, float32 rounding is
amplified: Adam's first steps move each weight by about the learning rate
in the direction of the sign of its gradient, so the few weights whose
gradient is below the rounding level of the backbone's normalisations get
a step of random sign. The same deblurkit code run with 1 and with 2
threads differs by 1.5e-4 to 1.8e-3 in the losses of those iterations and
by 7-9% in the backbone's updates; the official run is one more such
realisation. There the losses are compared to 5e-3, the updates of the
tensors after the generator's last normalisation to 3e-2 (they are immune
to that noise: measured <= 1e-2) and the other updates to 0.2 (measured
<= 0.14). The paper's pixel term (19x smaller) or a generator optimizer
kept across warm-up (updates 16-54% away) fail these checks; the last test
shows it.
"""
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from deblurkit.registry import MODELS
from deblurkit.structures import DeblurDataSample

from conftest import OFFICIAL, REPO

sys.path.insert(0, OFFICIAL)
from official_training import (DOWNSTREAM, ZERO_GRADIENT,  # noqa: E402
                               deblurkit_key, discriminator_start_state,
                               generator_start_state, load_train_steps,
                               relative_l2, vgg_start_state)

sys.path.pop(0)

GOPRO = osp.join(REPO, 'configs', 'deblurganv2_mobilenet_gopro.py')
LOSS_RTOL = 1e-4
ADV_RTOL_FROZEN = 5e-4
LOSS_RTOL_TRAINED = 5e-3
UPDATE_RTOL = 3e-2
UPDATE_RTOL_UPSTREAM = 0.2


@pytest.fixture(scope='module')
def train_steps():
    return load_train_steps()


def build_official_start(mobilenet_fixture, frozen, **model_overrides):
    """The GoPro config's model and optim wrappers at the fixture's start."""
    cfg = Config.fromfile(GOPRO)
    cfg.model.generator.backbone.pretrained = False
    cfg.model.content_loss.pretrained = False
    cfg.model.warmup_iters = frozen
    cfg.model.update(model_overrides)
    init_default_scope('deblurkit')
    model = MODELS.build(cfg.model)
    model.generator.load_state_dict(generator_start_state(mobilenet_fixture))
    model.discriminator.load_state_dict(
        discriminator_start_state(model.discriminator))
    model.content_loss.vgg.load_state_dict(
        vgg_start_state(model.content_loss.vgg))
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def batch(case, step):
    blur, sharp = case['blur'][step], case['sharp'][step]
    return dict(
        inputs=list(blur),
        data_samples=[DeblurDataSample(gt_img=img) for img in sharp])


def run_case(model, optim_wrapper, case, name):
    # A message hub of our own: current_iter() then counts these steps.
    MessageHub.get_instance(f'official-parity-{name}-{id(model)}')
    start = {k: v.clone() for k, v in model.generator.state_dict().items()}
    logs = [
        model.train_step(batch(case, step), optim_wrapper)
        for step in range(case['spec']['steps'])
    ]
    end = model.generator.state_dict()
    updates = {
        key: end[deblurkit_key(key)] - start[deblurkit_key(key)]
        for key in case['updates']
    }
    return logs, updates


def loss_tolerance(step, term, frozen):
    if step == 0 or step <= frozen:  # the backbone has not trained yet
        return ADV_RTOL_FROZEN if term == 'loss_g_adv' and step else LOSS_RTOL
    return LOSS_RTOL_TRAINED


def update_errors(updates, case):
    return {
        key: relative_l2(updates[key], official)
        for key, official in case['updates'].items()
        if key not in ZERO_GRADIENT
    }


@pytest.mark.parametrize('name', ['unfrozen', 'warmup_then_unfrozen'])
def test_train_step_reproduces_the_official_iterations(
        name, train_steps, mobilenet_fixture):
    case = train_steps['cases'][name]
    frozen = case['spec']['frozen']
    model, optim_wrapper = build_official_start(mobilenet_fixture, frozen)
    logs, updates = run_case(model, optim_wrapper, case, name)

    for step, (ours, official) in enumerate(zip(logs, case['losses'])):
        for term, value in official.items():
            tol = loss_tolerance(step, term, frozen)
            assert ours[term] == pytest.approx(value, rel=tol), \
                f'{name} iteration {step}: {term}'
    errors = update_errors(updates, case)
    for key, error in errors.items():
        tol = UPDATE_RTOL if key in DOWNSTREAM else UPDATE_RTOL_UPSTREAM
        assert error < tol, f'{name}: update of {key} is {error:.3g} away'
    # The backbone trained exactly from the end of warm-up on.
    first = 'module.fpn.features.0.0.weight'
    assert updates[first].abs().max() > 0


def test_the_checks_catch_the_paper_loss_and_a_kept_optimizer(
        train_steps, mobilenet_fixture):
    case = train_steps['cases']['warmup_then_unfrozen']
    frozen = case['spec']['frozen']
    # The paper's pixel term: the first content loss is far off.
    model, _ = build_official_start(
        mobilenet_fixture, frozen,
        content_loss=dict(type='PerceptualLoss', pretrained=False,
                          pixel_space='unit'))
    with torch.no_grad():
        blur, sharp = case['blur'][0] * 2 - 1, case['sharp'][0] * 2 - 1
        content = float(model.content_loss(model.generator(blur), sharp))
    assert content < case['losses'][0]['loss_content'] / 10
    # The generator's optimizer kept across warm-up: the updates after the
    # last normalisation leave the tolerance.
    model, optim_wrapper = build_official_start(
        mobilenet_fixture, frozen, restart_optimizer_after_warmup=False)
    _, updates = run_case(model, optim_wrapper, case, 'kept')
    errors = update_errors(updates, case)
    assert max(errors[key] for key in DOWNSTREAM) > 2 * UPDATE_RTOL
