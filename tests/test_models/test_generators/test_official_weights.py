"""The released weights load and give the official outputs (1e-4)."""
import pytest
import torch

from deblurkit.models.generators import (CheckpointLayoutError, FPNGenerator,
                                         generator_state_from_checkpoint)

MOBILENET = dict(backbone=dict(type='MobileNetV2'))
INCEPTION = dict(
    backbone=dict(type='InceptionResNetV2'),
    neck=dict(type='FPN', num_filters=256),
    head=dict(type='FPNHead', num_filters=128))


@pytest.fixture(scope='module')
def official_generator(official_mobilenet_state):
    generator = FPNGenerator(**MOBILENET)
    state, info = generator_state_from_checkpoint(
        {'model': official_mobilenet_state})
    assert info == dict(layout='official', arch='mobilenet')
    generator.load_state_dict(state, strict=True)
    return generator.eval()


def test_per_image_matches_official_predictor(official_generator,
                                              mobilenet_fixture):
    official_generator.norm_stats = 'per_image'
    with torch.no_grad():
        out = official_generator(mobilenet_fixture['input'])
    diff = (out - mobilenet_fixture['output_train_mode']).abs().max().item()
    assert diff < 1e-4


def test_running_matches_official_eval_mode(official_generator,
                                            mobilenet_fixture):
    official_generator.norm_stats = 'running'
    try:
        with torch.no_grad():
            out = official_generator(mobilenet_fixture['input'])
    finally:
        official_generator.norm_stats = 'per_image'
    diff = (out - mobilenet_fixture['output_eval_mode']).abs().max().item()
    assert diff < 1e-4
    # The two modes really differ (REFERENCE section 3).
    gap = (mobilenet_fixture['output_eval_mode'] -
           mobilenet_fixture['output_train_mode']).abs().max().item()
    assert gap > 0.1


def test_per_image_mode_is_batch_invariant(official_generator,
                                           mobilenet_fixture):
    x = mobilenet_fixture['input']
    batch = torch.cat([x, x.flip(-1), 0.5 * x, -x.flip(-2)])
    with torch.no_grad():
        together = official_generator(batch)
        alone = torch.cat([official_generator(img[None]) for img in batch])
    assert (together - alone).abs().max().item() < 1e-5
    # Different images get different outputs (the test is not vacuous).
    assert (together[0] - together[2]).abs().max().item() > 0.01


def test_inference_leaves_running_buffers_alone(official_generator,
                                                mobilenet_fixture):
    before = {
        k: v.clone()
        for k, v in official_generator.state_dict().items()
    }
    with torch.no_grad():
        official_generator(mobilenet_fixture['input'])
    after = official_generator.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_mmagic_layout_gives_same_weights(official_mobilenet_state):
    official, _ = generator_state_from_checkpoint(
        {'model': official_mobilenet_state})
    mmagic_ckpt = {
        'state_dict': {
            'generator.' + k[len('module.'):]: v
            for k, v in official_mobilenet_state.items()
        }
    }
    mmagic, info = generator_state_from_checkpoint(mmagic_ckpt)
    assert info == dict(layout='mmagic', arch='mobilenet')
    assert official.keys() == mmagic.keys()
    assert all(torch.equal(official[k], mmagic[k]) for k in official)


def test_official_inception_checkpoint_loads(official_inception_state):
    generator = FPNGenerator(**INCEPTION).eval()
    state, info = generator_state_from_checkpoint(
        {'model': official_inception_state})
    assert info['arch'] == 'inception'
    generator.load_state_dict(state, strict=True)
    # The aliased backbone tensors are identical in the file; one copy kept.
    key = 'backbone.conv2d_1a.conv.weight'
    assert torch.equal(
        state[key],
        official_inception_state['module.fpn.inception.conv2d_1a.conv.weight'])
    with torch.no_grad():
        out = generator(torch.rand(1, 3, 128, 160) * 2 - 1)
    assert out.shape == (1, 3, 128, 160)
    assert out.abs().max() <= 1


def test_unknown_layout_names_keys():
    with pytest.raises(CheckpointLayoutError, match='conv1.weight'):
        generator_state_from_checkpoint(
            {'state_dict': {'conv1.weight': torch.zeros(1)}})


def test_unplaceable_official_keys_are_named(official_mobilenet_state):
    state = dict(official_mobilenet_state)
    state['module.extra_layer.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointLayoutError, match='extra_layer'):
        generator_state_from_checkpoint({'model': state})
