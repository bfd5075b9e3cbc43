"""init_model with the released weights, overrides and users' backbones."""
import os.path as osp
import sys

import pytest
import torch

from deblurkit.apis import init_model
from deblurkit.models.generators import CheckpointLayoutError
from tools.model_converters import official_to_deblurkit

CONFIG = 'configs/deblurganv2_mobilenet_gopro.py'


@pytest.fixture(scope='module')
def converted(tmp_path_factory, official_mobilenet_h5):
    dst = str(tmp_path_factory.mktemp('converted') / 'fpn_mobilenet.pth')
    assert official_to_deblurkit.main([official_mobilenet_h5, dst]) == 0
    return dst


def test_converted_checkpoint_gives_official_outputs(converted,
                                                      mobilenet_fixture,
                                                      repo_root):
    model = init_model(CONFIG, converted)
    assert not model.training
    with torch.no_grad():
        out = model.generator(mobilenet_fixture['input'])
    assert (out - mobilenet_fixture['output_train_mode']).abs().max() < 1e-4

    running = init_model(
        CONFIG,
        converted,
        cfg_options={'model.generator.norm_stats': 'running'})
    with torch.no_grad():
        out = running.generator(mobilenet_fixture['input'])
    assert (out - mobilenet_fixture['output_eval_mode']).abs().max() < 1e-4


def test_official_and_mmagic_files_load_directly(official_mobilenet_h5,
                                                 official_mobilenet_state,
                                                 mobilenet_fixture, tmp_path,
                                                 repo_root):
    mmagic = tmp_path / 'mmagic.pth'
    torch.save(
        {
            'state_dict': {
                'generator.' + k[len('module.'):]: v
                for k, v in official_mobilenet_state.items()
            }
        }, mmagic)
    for path in (official_mobilenet_h5, str(mmagic)):
        model = init_model(CONFIG, path)
        with torch.no_grad():
            out = model.generator(mobilenet_fixture['input'])
        diff = (out - mobilenet_fixture['output_train_mode']).abs().max()
        assert diff < 1e-4, path


def test_checkpoint_that_does_not_fit_the_config(converted, repo_root):
    with pytest.raises(CheckpointLayoutError) as err:
        init_model('configs/deblurganv2_inception_gopro.py', converted)
    message = str(err.value)
    assert 'missing keys' in message and 'backbone.' in message


def test_converter_refuses_unknown_layouts(tmp_path, capsys):
    src = tmp_path / 'other.pth'
    torch.save({'state_dict': {'encoder.weight': torch.zeros(1)}}, src)
    assert official_to_deblurkit.main([str(src), str(tmp_path / 'x')]) == 1
    err = capsys.readouterr().err
    assert 'other.pth' in err and 'encoder.weight' in err
    assert not (tmp_path / 'x').exists()


def test_user_backbone_through_custom_imports(repo_root, monkeypatch):
    monkeypatch.syspath_prepend(osp.join(repo_root, 'tests', 'data',
                                         'custom'))
    model = init_model('tests/data/custom/deblurganv2_user_backbone.py',
                       cfg_options={'model.content_loss.pretrained': False})
    assert type(model.generator.backbone).__name__ == 'TinyUserBackbone'
    assert model.generator.neck.in_channels == (16, 16, 32, 32, 64)
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        out = model.generator(x)
    assert out.shape == x.shape
    assert not torch.equal(out, x)


@pytest.mark.parametrize('name', ['resnet18', 'efficientnet_b0',
                                  'convnext_atto'])
def test_timm_backbones_by_config(name, repo_root):
    model = init_model(
        CONFIG,
        cfg_options={
            'model.generator.backbone': dict(
                _delete_=True, type='TimmBackbone', model_name=name),
            'model.content_loss.pretrained': False,
        })
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert model.generator(x).shape == x.shape


def test_unknown_type_in_config_is_named(repo_root):
    with pytest.raises(KeyError, match='NotABackbone'):
        init_model(
            CONFIG,
            cfg_options={
                'model.generator.backbone.type': 'NotABackbone',
                'model.content_loss.pretrained': False
            })


def test_custom_module_is_not_leaked_into_sys_path():
    assert not any(p.endswith(osp.join('data', 'custom')) for p in sys.path)


def test_no_loss_network_is_built_for_inference(tmp_path, monkeypatch,
                                                 repo_root):
    """Offline, with the config's PerceptualLoss(pretrained=True)."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))  # no VGG19 file there
    from deblurkit.apis.init_model import LossNotBuilt
    from deblurkit.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.content_loss.pretrained is True
    cfg.model.generator.backbone.pretrained = False
    with pytest.raises(FileNotFoundError, match='VGG19'):
        MODELS.build(cfg.model)  # what training builds needs the weights
    model = init_model(cfg)
    assert isinstance(model.content_loss, LossNotBuilt)
    assert model.discriminator is None
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert model.generator(x).shape == x.shape
    with pytest.raises(RuntimeError, match='init_model builds models for '
                       'inference only'):
        model(x, mode='loss', gt=x)


def test_converter_prints_both_files_sha256(official_mobilenet_h5, tmp_path,
                                            capsys):
    import hashlib
    dst = tmp_path / 'fpn_mobilenet.pth'
    assert official_to_deblurkit.main([official_mobilenet_h5, str(dst)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f'wrote {dst} (mobilenet); use it with the config '
                        'deblurganv2_mobilenet_gopro')
    for line, path in zip(lines[1:], (official_mobilenet_h5, str(dst))):
        with open(path, 'rb') as f:
            assert line == f'sha256 {hashlib.sha256(f.read()).hexdigest()}' \
                f'  {path}'
    assert len(lines) == 3
