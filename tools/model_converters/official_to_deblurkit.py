#!/usr/bin/env python
"""Convert released DeblurGAN-v2 weights into a deblurkit checkpoint.

    python tools/model_converters/official_to_deblurkit.py fpn_mobilenet.h5 \
        checkpoints/deblurganv2_fpn_mobilenet_official.pth

SRC may be the authors' ``fpn_mobilenet.h5`` / ``fpn_inception.h5`` or
MMagic's republished checkpoint; the architecture is detected from the keys
(``--arch`` forces it). The result holds ``state_dict`` with ``generator.*``
keys and loads with ``deblurkit.apis.init_model`` and ``tools/test.py``.
The SHA-256 of the source and of the result are printed, so that copies of
the files can be compared.
"""
import argparse
import hashlib
import io
import sys

import torch

from deblurkit.cli import HelpFormatter
from deblurkit.engine import atomic_write, safe_torch_load
from deblurkit.models.generators import (ARCHS, CheckpointLayoutError,
                                         generator_state_from_checkpoint)

CONFIGS = {
    'mobilenet': 'deblurganv2_mobilenet_gopro',
    'inception': 'deblurganv2_inception_gopro',
}


def sha256(path):
    """The SHA-256 of a file, as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def convert(src, dst, arch=None):
    """Convert ``src`` to ``dst``; returns the detected architecture."""
    checkpoint = safe_torch_load(src)
    try:
        state, info = generator_state_from_checkpoint(checkpoint, arch)
    except CheckpointLayoutError as err:
        raise CheckpointLayoutError(f'{src}: {err}') from None
    out = dict(
        meta=dict(converted_from=str(src), source_layout=info['layout'],
                  arch=info.get('arch')),
        state_dict={f'generator.{k}': v for k, v in state.items()})
    buffer = io.BytesIO()
    torch.save(out, buffer)
    atomic_write(dst, buffer.getvalue())
    return info.get('arch')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=HelpFormatter)
    parser.add_argument('src', help='official .h5 or MMagic checkpoint')
    parser.add_argument('dst', help='deblurkit checkpoint to write')
    parser.add_argument(
        '--arch', choices=ARCHS, help='backbone (default: from the keys)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        arch = convert(args.src, args.dst, args.arch)
    except (FileNotFoundError, KeyError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'wrote {args.dst} ({arch}); use it with the config '
          f'{CONFIGS.get(arch, "that matches it")}')
    for path in (args.src, args.dst):
        print(f'sha256 {sha256(path)}  {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
