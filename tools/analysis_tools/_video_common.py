"""Shared by the video analysis tools: a model from a config with a
checkpoint or seeded random weights (nothing downloaded), and the report of
their results."""
import json
import os.path as osp
import tempfile

import torch

from deblurkit.apis import init_model
from deblurkit.apis.init_model import build_generator
from deblurkit.fileio import atomic_write
from deblurkit.runtime import tune_cpu_allocator


def load_model(config, checkpoint=None, seed=0, cfg_options=None,
               device='cpu'):
    """``init_model(config, checkpoint, device, cfg_options=cfg_options)``;
    without
    a checkpoint, the config's generator with weights seeded by ``seed``.
    The CPU allocator
    is tuned first, as ``tools/deblur.py`` runs (unless
    ``DEBLURKIT_TUNE_MALLOC=0``; see :mod:`deblurkit.runtime`)."""
    tune_cpu_allocator()
    if checkpoint:
        return init_model(config, checkpoint, device=device,
                          cfg_options=cfg_options)
    torch.manual_seed(seed)
    generator = build_generator(config, cfg_options)
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, 'random.pth')
        torch.save({'state_dict': {f'generator.{k}': v for k, v in
                                   generator.state_dict().items()}}, path)
        return init_model(config, path, device=device,
                          cfg_options=cfg_options)


def report(result, out=None, width=18):
    """Print ``result`` one key a line; write it as JSON to ``out``
    (atomically) when given."""
    for key, value in result.items():
        print(f'{key:{width}s} {value:.4f}' if isinstance(value, float) else
              f'{key:{width}s} {value}')
    if out:
        atomic_write(out, json.dumps(result, indent=2), 'w')
