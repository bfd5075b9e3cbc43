"""configs/metafile.yml names configs that exist and load, with the
parameter counts of the generators they build."""
import os.path as osp

import pytest
import yaml
from mmengine.config import Config

from deblurkit.apis.init_model import build_generator

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

with open(osp.join(REPO, 'configs', 'metafile.yml')) as f:
    MODELS = yaml.safe_load(f)['Models']


@pytest.mark.parametrize('model', MODELS, ids=[m['Name'] for m in MODELS])
def test_metafile_entry(model, repo_root):
    config = model['Config']
    assert osp.splitext(osp.basename(config))[0] == model['Name']
    cfg = Config.fromfile(config)
    assert cfg.model.type == 'DeblurGANv2'
    if 'mobilenet' in model['Name']:  # the Inception build is slow
        params = sum(p.numel() for p in build_generator(config).parameters())
        assert params / 1e6 == pytest.approx(
            model['Metadata']['Parameters (M)'], abs=0.01)
