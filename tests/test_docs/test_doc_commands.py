"""The commands of README.md and docs/user_guides/finetune.md, run as
written from an empty folder, on stand-ins for what users download: an
official-format fpn_mobilenet.h5 rebuilt from the test fixture, noise
photos, and training shortened by appended --cfg-options."""
import os
import os.path as osp
import re
import shlex

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO

from deblurkit.commands import main

FINETUNE = 'docs/user_guides/finetune.md'
README = 'README.md'
#: Appended to the training command: seconds on the CPU, no VGG19 weights.
SHORT_TRAINING = [
    '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    'model.content_loss.pretrained=False', 'train_dataloader.num_workers=0',
    'val_dataloader.num_workers=0',
    'train_dataloader.dataset.pipeline.2.size=64',
    'train_dataloader.dataset.pipeline.3.size=64'
]
FEW_PAIRS = ['--num-train', '4', '--num-test', '2', '--size', '64', '64',
             '--per-sequence', '2', '--workers', '1', '--no-progress']
LAST = 'work_dirs/deblurganv2_mobilenet_finetune/last_checkpoint'

#: (document, command as written there, arguments appended by the test)
COMMANDS = [
    (README, 'deblurkit configs', []),
    (FINETUNE, 'deblurkit convert checkpoints/fpn_mobilenet.h5 '
     'checkpoints/fpn_mobilenet.pth', []),
    (FINETUNE, 'deblurkit synthesize --out data/finetune --sharp-dir '
     'my_sharp_photos/', FEW_PAIRS),
    (FINETUNE, 'deblurkit train deblurganv2_mobilenet_finetune',
     SHORT_TRAINING),
    (FINETUNE, 'deblurkit test deblurganv2_mobilenet_finetune '
     f'"$(cat {LAST})"', []),
    (FINETUNE, 'deblurkit deblur my_blurry_photos/ --config '
     'deblurganv2_mobilenet_finetune --checkpoint '
     f'"$(cat {LAST})" --out deblurred/', []),
    (FINETUNE, 'deblurkit test deblurganv2_mobilenet_finetune '
     'checkpoints/fpn_mobilenet.h5', []),
]


def doc_commands(doc):
    """The shell lines of a document's code blocks, continuations joined."""
    with open(osp.join(REPO, doc)) as f:
        text = f.read()
    blocks = re.findall(r'```bash\n(.*?)```', text, re.S)
    lines = '\n'.join(blocks).replace('\\\n', ' ').splitlines()
    return [' '.join(line.split('#')[0].split()) for line in lines]


def test_the_commands_are_in_the_docs():
    for doc, command, _ in COMMANDS:
        assert command in doc_commands(doc), (doc, command)


def as_argv(command, cwd):
    """``command`` as the shell would pass it, ``$(cat FILE)`` expanded."""
    def cat(match):
        with open(osp.join(cwd, match.group(1))) as f:
            return f.read().strip()
    return shlex.split(re.sub(r'\$\(cat ([^)]+)\)', cat, command))


def test_the_commands_run_as_written(tmp_path, monkeypatch, capsys,
                                     official_mobilenet_h5):
    monkeypatch.chdir(tmp_path)
    # Stand-ins for the downloads.
    os.makedirs('checkpoints')
    torch.save(torch.load(official_mobilenet_h5, weights_only=True),
               'checkpoints/fpn_mobilenet.h5')
    rng = np.random.default_rng(0)
    for folder in ('my_sharp_photos', 'my_blurry_photos'):
        os.makedirs(folder)
        for i in range(2):
            photo = cv2.GaussianBlur(
                (rng.random((96, 128, 3)) * 255).astype(np.uint8), (5, 5), 0)
            cv2.imwrite(f'{folder}/{i}.png', photo)

    for doc, command, extra in COMMANDS:
        argv = as_argv(command, tmp_path)
        assert argv[0] == 'deblurkit'
        assert main(argv[1:] + extra) == 0, command
        out = capsys.readouterr().out
        if argv[1] == 'convert':
            assert re.search(r'^sha256 [0-9a-f]{64}  checkpoints/'
                             r'fpn_mobilenet\.pth$', out, re.M), out
        if argv[1] == 'configs':
            assert '\n  deblurganv2_mobilenet_finetune\n' in out
    assert {'0.png', '1.png'} <= set(os.listdir('deblurred'))
    assert len(os.listdir('data/finetune/train')) >= 1
    assert osp.isfile(tmp_path / 'work_dirs' / 'deblurganv2_mobilenet_finetune'
                      / 'iter_2.pth')


@pytest.mark.parametrize('doc', [README, FINETUNE])
def test_no_document_users_do_not_have(doc):
    with open(osp.join(REPO, doc)) as f:
        text = f.read()
    assert 'REFERENCE' not in text and 'the issue' not in text
