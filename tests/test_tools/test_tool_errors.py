"""tools/test.py, tools/train.py, synthesize_blur.py: refused before any
work, one line, documented exit codes (issue 17)."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from conftest import write_gopro_dataset

from tools import test as test_tool
from tools import train as train_tool

CONFIG = 'configs/deblurganv2_mobilenet_gopro.py'


def tree(folder):
    return {osp.join(r, f): open(osp.join(r, f), 'rb').read()
            for r, _, files in os.walk(folder) for f in files}


@pytest.fixture
def gopro(tmp_path):
    root = str(tmp_path / 'test')
    write_gopro_dataset(root)
    ckpt = tmp_path / 'c.pth'
    # A checkpoint file that passes the file check but is never loaded:
    # the output paths are refused before the model is built.
    torch.save({'state_dict': {}}, ckpt)
    return root, str(ckpt)


def run_test(gopro, *extra):
    root, ckpt = gopro
    work = osp.join(osp.dirname(root), 'work')  # not ./work_dirs
    return test_tool.main([
        CONFIG, ckpt, '--work-dir', work, '--cfg-options',
        f'test_dataloader.dataset.data_root={root}', *extra
    ])


@pytest.mark.parametrize('where, word', [('seqA/blur', 'inside'),
                                         ('seqA/blur/deblurred', 'inside'),
                                         ('.', 'is'), ('..', 'contains')])
def test_save_images_on_the_test_set_is_refused(repo_root, gopro, capsys,
                                                where, word):
    before = tree(gopro[0])
    target = osp.normpath(osp.join(gopro[0], where))
    assert run_test(gopro, '--save-images', target) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: --save-images') and f' {word} ' in err
    assert len(err.strip().splitlines()) == 1
    assert tree(gopro[0]) == before


def test_out_folder_is_refused_before_evaluation(repo_root, gopro, tmp_path,
                                                 capsys):
    for out in (str(tmp_path) + os.sep, str(tmp_path / 'test')):
        assert run_test(gopro, '--out', out) == 2
        assert 'is a folder' in capsys.readouterr().err
    (tmp_path / 'notes.json').write_text('{"mine": 1}')
    assert run_test(gopro, '--out', str(tmp_path / 'notes.json')) == 2
    assert 'not a results file' in capsys.readouterr().err
    assert (tmp_path / 'notes.json').read_text() == '{"mine": 1}'


def bad_configs(tmp_path):
    syntax = tmp_path / 'syntax.py'
    syntax.write_text('model = dict(type=\n')
    return [
        ([str(tmp_path / 'missing.py')], 'missing.py'),
        ([str(syntax)], 'syntax.py'),
        ([CONFIG, '--cfg-options', 'model.generator.typo=1'], 'typo'),
        ([CONFIG, '--cfg-options', 'model.type=NoSuchModel'], 'NoSuchModel'),
        ([CONFIG, '--cfg-options', 'train_dataloader.worker_niceness=25'],
         'train_dataloader.worker_niceness'),
    ]


def test_train_config_errors_are_one_line(repo_root, tmp_path, capsys):
    for argv, named in bad_configs(tmp_path):
        assert train_tool.main(argv + ['--work-dir', str(tmp_path / 'w')
                                       ]) == 2, argv
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert lines[-1].startswith('error: config') and named in lines[-1]
        assert 'Traceback' not in err


def test_test_config_errors_are_one_line(repo_root, gopro, tmp_path,
                                         capsys):
    for argv, named in bad_configs(tmp_path):
        argv = argv[:1] + [gopro[1]] + argv[1:]
        assert test_tool.main(argv + ['--work-dir', str(tmp_path / 'w')
                                      ]) == 2, argv
        err = capsys.readouterr().err
        # mmengine may warn on stderr too (two runs in the same second
        # share a logger name); the tool's own output is one error line.
        errors = [l for l in err.splitlines() if l.startswith('error:')]
        assert len(errors) == 1 and errors[0].startswith('error: config')
        assert named in err and 'Traceback' not in err


def test_malformed_cfg_options_exit_2(repo_root, capsys):
    for tool in (train_tool, test_tool):
        args = [CONFIG] + (['x.pth'] if tool is test_tool else [])
        with pytest.raises(SystemExit) as info:
            tool.main(args + ['--cfg-options', 'train_cfg'])
        assert info.value.code == 2
        assert 'KEY=VALUE' in capsys.readouterr().err


# ------------------------------------------------------- synthesize_blur.py
@pytest.fixture(scope='module')
def synth():
    path = osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), 'tools',
                    'dataset_converters', 'synthesize_blur.py')
    spec = importlib.util.spec_from_file_location('synthesize_blur', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def photos(folder, n=2):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        cv2.imwrite(osp.join(folder, f'p{i}.png'),
                    rng.integers(0, 255, (48, 48, 3), dtype=np.uint8))


def test_synthesis_never_deletes_the_sharp_photos(synth, tmp_path, capsys):
    out = tmp_path / 'S'
    args = ['--num-train', '2', '--num-test', '0', '--size', '16', '16',
            '--workers', '1', '--no-progress']
    assert synth.main(['--out', str(out)] + args) == 0
    photos(out / 'train' / 'my_photos')
    before = tree(out / 'train' / 'my_photos')
    for sharp in (out / 'train' / 'my_photos', out / 'train', out):
        assert synth.main(['--out', str(out), '--sharp-dir', str(sharp),
                           '--overwrite'] + args) == 2
        assert '--out' in capsys.readouterr().err
    assert tree(out / 'train' / 'my_photos') == before
    assert synth.main(['--out', str(out / 'train' / 'my_photos' / 'x'),
                       '--sharp-dir', str(out / 'train' / 'my_photos')] +
                      args) == 2
    assert 'lies inside' in capsys.readouterr().err
    # --overwrite removes the files it wrote, and stops at the user's.
    assert synth.main(['--out', str(out), '--overwrite'] + args) == 2
    assert 'only the files synthesis wrote' in capsys.readouterr().err
    assert tree(out / 'train' / 'my_photos') == before


def test_synthesis_sharp_dir_with_loop_and_fifo(synth, tmp_path, capsys):
    sharp = tmp_path / 'photos'
    photos(sharp)
    os.symlink('..', sharp / 'up')
    os.mkfifo(sharp / 'fifo.png')
    assert synth.main(['--out', str(tmp_path / 'o'), '--sharp-dir',
                       str(sharp), '--num-train', '2', '--num-test', '0',
                       '--size', '16', '16', '--workers', '1',
                       '--no-progress']) == 0
    err = capsys.readouterr().err
    assert 'fifo.png' in err and 'loop' in err
