"""The official training iterations fixture and its start weights.

``official_train_steps.pt`` (copied from the project's shared fixtures)
holds iterations of the official DeblurGAN-v2 trainer (``train.py``,
``models/losses.py``, ``adversarial_trainer.DoubleGAN``; FPN-MobileNet,
double_gan, RaGAN-LS, perceptual content loss, adv_lambda 0.001, Adam 1e-4,
batch 1) run on the CPU: per case the batches, the four losses of every
iteration and ``final - initial`` of a spread of generator tensors. The
start weights are not stored; they follow from key names by the ``fill``
rule of ``make_official_checkpoint.py``: the generator's from
``official_fpn_mobilenet.pt``, each discriminator's from ``'patch.'`` /
``'full.'`` + its official key (``module.model.N.weight``, ...), VGG19's
from ``'vgg19.features.N.weight'``.
"""
import os.path as osp
import sys

import torch

HERE = osp.dirname(osp.abspath(__file__))
TRAIN_STEPS = osp.join(HERE, 'official_train_steps.pt')

sys.path.insert(0, HERE)
from make_official_checkpoint import fill, official_state_dict  # noqa: E402

sys.path.pop(0)

from deblurkit.models.generators.official_checkpoint import \
    official_to_generator_state  # noqa: E402

#: Generator tensors whose gradient is zero in exact arithmetic: the biases
#: of convolutions followed by an instance norm (which subtracts any
#: per-channel constant). Their float32 gradient is rounding noise that
#: Adam scales up to steps of up to the learning rate, in a direction set by
#: the rounding, so their updates are compared with nothing.
ZERO_GRADIENT = ('module.fpn.td1.0.bias', 'module.fpn.td2.0.bias',
                 'module.fpn.td3.0.bias', 'module.smooth.0.bias',
                 'module.smooth2.0.bias')
#: Tensors after the last normalisation of the generator: their gradients
#: are free of the cancellation in a normalisation's backward pass, so their
#: updates reproduce the official ones closely.
DOWNSTREAM = ('module.final.weight', 'module.final.bias',
              'module.smooth2.0.weight', 'module.fpn.lateral0.weight')


def load_train_steps():
    return torch.load(TRAIN_STEPS, map_location='cpu', weights_only=True)


def generator_start_state(mobilenet_fixture):
    """The official start weights mapped onto deblurkit's FPNGenerator."""
    official = official_state_dict(mobilenet_fixture)
    state, _ = official_to_generator_state(
        {k[len('module.'):]: v for k, v in official.items()}, 'mobilenet')
    return state


def discriminator_start_state(discriminator):
    """``DoubleScaleDiscriminator`` weights: ``fill('patch.module.model.N.
    weight')`` and the like, as the fixture's note says."""
    state = {}
    for key, value in discriminator.state_dict().items():
        which, rest = key.split('.', 1)  # 'patch' | 'full', 'model.N.x'
        state[key] = fill(f'{which}.module.{rest}', tuple(value.shape),
                          str(value.dtype).replace('torch.', ''))
    return state


def vgg_start_state(vgg):
    """``vgg19().features[0..14]`` weights, by the fixture's ``fill``."""
    return {
        key: fill(f'vgg19.features.{key}', tuple(value.shape), 'float32')
        for key, value in vgg.state_dict().items()
    }


def deblurkit_key(official_key):
    """deblurkit's generator key for an official one (``module.fpn...``)."""
    mapped, _ = official_to_generator_state(
        {official_key[len('module.'):]: torch.zeros(1)}, 'mobilenet')
    (key, ), = [list(mapped)]
    return key


def relative_l2(ours, official):
    return float((ours - official).norm() / official.norm())
