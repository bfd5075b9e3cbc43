"""Config names: the shipped configs are found by name from anywhere."""
import os.path as osp

import pytest
from conftest import REPO

from deblurkit.apis import init_model
from deblurkit.engine.runner_config import load_runner_config
from deblurkit.shipped import (ConfigNotFoundError, config_names,
                               resolve_config, shipped_dir)

CONFIGS = osp.join(REPO, 'configs')
NAME = 'deblurganv2_mobilenet_gopro'


def test_checkout_ships_its_own_folders():
    assert shipped_dir('configs') == CONFIGS
    assert shipped_dir('tools') == osp.join(REPO, 'tools')
    assert NAME in config_names() and 'hide' in config_names(
        '_base_/datasets')
    assert 'default_runtime' not in config_names()  # only full configs


def test_names_and_paths_resolve_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    packaged = osp.join(CONFIGS, f'{NAME}.py')
    assert resolve_config(NAME) == packaged
    # the documented path works outside a checkout too
    assert resolve_config(f'configs/{NAME}.py') == packaged
    assert resolve_config('_base_/datasets/hide') == osp.join(
        CONFIGS, '_base_', 'datasets', 'hide.py')
    assert resolve_config('hide', folder='_base_/datasets') == osp.join(
        CONFIGS, '_base_', 'datasets', 'hide.py')
    # a file of one's own wins over a shipped config of the same path
    own = tmp_path / 'configs' / f'{NAME}.py'
    own.parent.mkdir()
    own.write_text("_base_ = []\n")
    assert resolve_config(f'configs/{NAME}.py') == f'configs/{NAME}.py'


def test_unknown_names_list_close_ones():
    with pytest.raises(ConfigNotFoundError) as info:
        resolve_config('deblurganv2_mobilnet_gopro')
    message = str(info.value)
    assert "'deblurganv2_mobilnet_gopro' is neither a file" in message
    assert f'close names: {NAME}' in message and '\n' not in message
    with pytest.raises(ConfigNotFoundError, match='close names: hide'):
        resolve_config('hid', folder='_base_/datasets')
    with pytest.raises(ConfigNotFoundError,
                       match='run `deblurkit configs` to list'):
        resolve_config('zzz')
    with pytest.raises(ConfigNotFoundError, match="'mine.py' does not exist"):
        resolve_config('mine.py')
    assert isinstance(info.value, FileNotFoundError)


def test_init_model_and_runner_config_take_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = init_model(
        NAME, cfg_options={'model.generator.backbone.pretrained': False})
    assert model.cfg.filename == osp.join(CONFIGS, f'{NAME}.py')
    assert type(model.generator).__name__ == 'FPNGenerator'
    cfg = load_runner_config(NAME, test_set='realblur_j')
    assert cfg.work_dir == osp.join('./work_dirs', NAME)
    assert cfg.test_dataloader.dataset.type == 'PairedListDataset'
    with pytest.raises(FileNotFoundError, match='test set: .*close names'):
        load_runner_config(NAME, test_set='realblur')
