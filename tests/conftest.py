"""Shared fixtures: the official DeblurGAN-v2 fixture and its checkpoints."""
import json
import os.path as osp
import sys

import pytest
import torch

DATA = osp.join(osp.dirname(__file__), 'data')
OFFICIAL = osp.join(DATA, 'official')
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

sys.path.insert(0, OFFICIAL)
from make_official_checkpoint import official_state_dict  # noqa: E402

sys.path.pop(0)


@pytest.fixture(scope='session')
def mobilenet_fixture():
    """Key layout, input and official outputs of fpn_mobilenet.h5."""
    return torch.load(
        osp.join(OFFICIAL, 'official_fpn_mobilenet.pt'), weights_only=True)


@pytest.fixture(scope='session')
def official_mobilenet_state(mobilenet_fixture):
    """The state dict of fpn_mobilenet.h5 rebuilt from the fixture."""
    return official_state_dict(mobilenet_fixture)


@pytest.fixture(scope='session')
def official_mobilenet_h5(tmp_path_factory, official_mobilenet_state):
    """An official-format fpn_mobilenet.h5 file."""
    path = tmp_path_factory.mktemp('official') / 'fpn_mobilenet.h5'
    torch.save({'model': official_mobilenet_state}, path)
    return str(path)


@pytest.fixture(scope='session')
def official_inception_state():
    """The state dict of fpn_inception.h5 rebuilt from its key layout."""
    with open(osp.join(OFFICIAL, 'official_fpn_inception_keys.json')) as f:
        return official_state_dict(json.load(f))


@pytest.fixture
def repo_root(monkeypatch):
    """Run from the repository root, as the documented commands do."""
    monkeypatch.chdir(REPO)
    return REPO
