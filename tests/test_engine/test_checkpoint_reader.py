"""deblurkit's one checkpoint reader: layouts, key reports, file errors."""
import pytest
import torch
import torch.nn as nn
from conftest import UNUSABLE_CHECKPOINTS, write_unusable_checkpoint

from deblurkit.engine import (CheckpointFileError, NonFiniteCheckpointError,
                              find_resume_checkpoint,
                              load_discriminator_weights,
                              load_generator_weights, read_checkpoint)
from deblurkit.models.generators import CheckpointLayoutError


class TinyGenerator(nn.Module):
    """Not an FPNGenerator: no backbone, neck or head."""

    def __init__(self, width=4):
        super().__init__()
        self.enc = nn.Conv2d(3, width, 3, padding=1)
        self.norm = nn.BatchNorm2d(width)
        self.dec = nn.Conv2d(width, 3, 3, padding=1)


class Model(nn.Module):

    def __init__(self, width=4, discriminator=True):
        super().__init__()
        self.generator = TinyGenerator(width)
        self.discriminator = nn.Linear(2, 1) if discriminator else None


def saved(tmp_path, state, name='ckpt.pth', **extra):
    path = tmp_path / name
    torch.save(dict(state_dict=state, **extra), path)
    return str(path)


def randomized(model, seed):
    torch.manual_seed(seed)
    for p in model.parameters():
        nn.init.normal_(p)
    return model


def test_any_generator_loads_with_or_without_ddp_module(tmp_path):
    source = randomized(Model(), 0)
    plain = source.state_dict()
    ddp = {k.replace('generator.', 'generator.module.', 1)
           .replace('discriminator.', 'discriminator.module.', 1): v
           for k, v in plain.items()}
    for state in (plain, ddp):
        target = randomized(Model(), 1)
        disc_before = target.discriminator.weight.clone()
        info = load_generator_weights(target, saved(tmp_path, state))
        assert info == dict(layout='deblurkit')
        for k, v in source.generator.state_dict().items():
            assert torch.equal(target.generator.state_dict()[k], v), k
        # The generator function leaves the discriminator alone ...
        assert torch.equal(target.discriminator.weight, disc_before)
        # ... which has a function of its own.
        load_discriminator_weights(target, saved(tmp_path, state))
        assert torch.equal(target.discriminator.weight,
                           source.discriminator.weight)


def test_mismatch_names_missing_unexpected_and_misshaped_keys(tmp_path):
    state = {f'generator.{k}': v
             for k, v in TinyGenerator(width=8).state_dict().items()}
    del state['generator.dec.bias']
    state['generator.extra.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointLayoutError) as err:
        load_generator_weights(Model(width=4), saved(tmp_path, state))
    message = str(err.value)
    assert 'ckpt.pth' in message
    assert "1 missing keys ['dec.bias']" in message
    assert "1 unexpected keys ['extra.weight']" in message
    assert 'enc.weight: checkpoint (8, 3, 3, 3) vs model (4, 3, 3, 3)' in \
        message


def test_official_h5_loads_only_into_its_generator(official_mobilenet_h5):
    # An official file in a config of another generator: the key report.
    with pytest.raises(CheckpointLayoutError, match='missing keys'):
        load_generator_weights(Model(), official_mobilenet_h5)
    with pytest.raises(CheckpointLayoutError, match='no discriminator'):
        load_discriminator_weights(Model(), official_mobilenet_h5)


def test_non_finite_generator_weights_are_refused(tmp_path):
    model = Model()
    state = {f'generator.{k}': v.clone()
             for k, v in model.generator.state_dict().items()}
    state['generator.enc.weight'][0, 0, 0, 0] = float('nan')
    state['generator.norm.running_var'][1] = float('inf')
    before = model.generator.enc.weight.clone()
    with pytest.raises(NonFiniteCheckpointError) as err:
        load_generator_weights(model, saved(tmp_path, state))
    message = str(err.value)
    assert 'ckpt.pth' in message
    assert f'2 of {len(state)} generator tensors' in message
    assert 'enc.weight' in message and 'norm.running_var' in message
    assert torch.equal(model.generator.enc.weight, before)  # nothing loaded


@pytest.mark.parametrize('kind, expected', [
    *UNUSABLE_CHECKPOINTS.items(),
    ('truncated', 'is truncated or corrupt'),
    ('list', 'holds a list, not a dict'),
])
def test_unusable_files_get_one_line_reasons(tmp_path, kind, expected):
    path = tmp_path / 'bad.pth'
    if kind == 'truncated':
        torch.save({'state_dict': {'w': torch.ones(1000)}}, path)
        path.write_bytes(path.read_bytes()[:3000])
    elif kind == 'list':
        torch.save([torch.ones(1)], path)
    else:
        write_unusable_checkpoint(path, kind)
    with pytest.raises(CheckpointFileError) as err:
        read_checkpoint(str(path))
    message = str(err.value)
    assert expected in message and 'bad.pth' in message
    assert '\n' not in message
    if kind == 'directory':
        assert 'iter_2.pth' in message  # what it holds


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth.*does not exist'):
        read_checkpoint(str(tmp_path / 'nope.pth'))


def test_resume_falls_back_to_newest_complete_checkpoint(tmp_path):
    def ckpt(step):
        return saved(tmp_path, {'w': torch.ones(3)}, f'iter_{step}.pth',
                     meta=dict(iter=step))

    for step in (2, 4, 10):
        ckpt(step)
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text(str(tmp_path / 'iter_10.pth'))
    warnings = []
    assert find_resume_checkpoint(str(tmp_path), warnings.append) == \
        str(tmp_path / 'iter_10.pth')
    assert warnings == []
    # The newest is cut short, and last_checkpoint names a deleted file.
    (tmp_path / 'iter_10.pth').write_bytes(
        (tmp_path / 'iter_10.pth').read_bytes()[:500])
    pointer.write_text(str(tmp_path / 'iter_12.pth'))
    found = find_resume_checkpoint(str(tmp_path), warnings.append)
    assert found == str(tmp_path / 'iter_4.pth')
    assert len(warnings) == 1 and 'iter_12.pth' in warnings[0]
    assert 'iter_4.pth' in warnings[0]
    # No pointer: the newest complete one, silently.
    pointer.unlink()
    assert find_resume_checkpoint(str(tmp_path), warnings.append) == found
    assert len(warnings) == 1
    assert find_resume_checkpoint(str(tmp_path / 'absent')) is None
