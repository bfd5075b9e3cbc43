"""A tiny random-weight DeblurGAN-v2 for the inference tests.

Test modules import the fixtures by name (``from tiny_deblur_model import
tiny_model``); it is not a conftest.py, so the top-level tests/conftest.py
stays the only module named ``conftest``.
"""
import os.path as osp

import pytest
import torch

from deblurkit.apis import init_model

TINY_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'configs',
    'deblurganv2_tiny.py')


def build_tiny(**cfg_options):
    """The tiny config's model with seeded random weights, in eval mode."""
    torch.manual_seed(0)
    return init_model(TINY_CONFIG, cfg_options=cfg_options)


@pytest.fixture(scope='session')
def tiny_model():
    """The tiny model with per-image norm statistics (the default)."""
    return build_tiny()


@pytest.fixture(scope='session')
def tiny_running_model():
    """The tiny model using its norm layers' running statistics."""
    return build_tiny(**{'model.generator.norm_stats': 'running'})
