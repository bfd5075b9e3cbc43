"""The wheel as a user gets it: built from the sources, installed into a
fresh virtual environment outside the checkout, run from there.

No download: the wheel is built without build isolation and installed
without dependencies; the new environment reaches the third-party packages
already installed here (torch, mmengine, ...) through a ``.pth`` path line,
which does not run this environment's own ``.pth`` files, so the checkout's
(editable) deblurkit stays invisible there.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig

import cv2
import pytest

from conftest import REPO, as_cli, short_run_options, write_gopro_dataset

#: What a source distribution holds (MANIFEST.in) that the build reads.
SOURCES = ('setup.py', 'MANIFEST.in', 'README.md', 'requirements.txt',
           'requirements', 'deblurkit', 'configs', 'tools')


def run(cmd, cwd, env, timeout=300):
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=timeout)
    assert done.returncode == 0, (
        f'{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}')
    return done.stdout


def third_party_paths():
    """The folders this interpreter imports installed packages from."""
    return [
        p for p in sys.path
        if osp.basename(p) in ('site-packages', 'dist-packages')
        and not osp.realpath(p).startswith(osp.realpath(REPO) + os.sep)
    ] or [sysconfig.get_paths()['purelib']]


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """``(bin folder, env, work folder)`` of a fresh venv with the wheel."""
    base = tmp_path_factory.mktemp('wheel')
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP')}
    env['CUDA_VISIBLE_DEVICES'] = ''
    # Build from a copy, so that build/ and *.egg-info stay out of the
    # checkout.
    src = base / 'src'
    for name in SOURCES:
        if osp.isdir(osp.join(REPO, name)):
            shutil.copytree(osp.join(REPO, name), src / name,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy(osp.join(REPO, name), src / name)
    run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '--no-index', '--quiet', '-w', base / 'dist',
         src], base, env)
    wheels = list((base / 'dist').glob('deblurkit-*.whl'))
    assert len(wheels) == 1, wheels

    venv = base / 'venv'
    run([sys.executable, '-m', 'venv', '--without-pip', venv], base, env)
    python = venv / 'bin' / 'python'
    site = run([python, '-c', 'import sysconfig; '
                'print(sysconfig.get_paths()["purelib"])'], base, env).strip()
    with open(osp.join(site, 'deblurkit_test_dependencies.pth'), 'w') as f:
        f.write('\n'.join(third_party_paths()) + '\n')
    # --ignore-installed: the packages visible through the .pth (this
    # environment's deblurkit among them) are neither checked nor touched.
    run([python, '-m', 'pip', 'install', '--no-deps', '--no-index',
         '--ignore-installed', '--quiet', '--disable-pip-version-check',
         wheels[0]], base, env)
    work = base / 'work'
    work.mkdir()
    return venv / 'bin', env, work


def test_wheel_has_only_deblurkit_and_its_shipped_files(installed):
    bindir, env, work = installed
    out = run([bindir / 'python', '-c', '\n'.join([
        'import importlib.util, deblurkit',
        'from deblurkit.shipped import shipped_dir',
        'print(deblurkit.__file__)',
        "print(shipped_dir('configs'))",
        "print(importlib.util.find_spec('tools'))",
    ])], work, env).splitlines()
    venv = str(bindir.parent)
    assert out[0].startswith(venv) and 'site-packages' in out[0]
    assert out[1] == osp.join(osp.dirname(out[0]), '.mim', 'configs')
    assert out[2] == 'None'  # no stray top-level `tools` package
    listing = run([bindir / 'deblurkit', 'configs'], work, env)
    assert 'deblurganv2_mobilenet_gopro\n' in listing
    assert out[1] in listing


def test_installed_command_trains_and_deblurs(installed):
    bindir, env, work = installed
    data = dict(train=write_gopro_dataset(work / 'data' / 'train', images=2),
                test=write_gopro_dataset(work / 'data' / 'test', images=1,
                                         seed=1))
    options = short_run_options(data, **{
        'train_cfg.max_iters': 2, 'model.warmup_iters': 1,
        'default_hooks.checkpoint.interval': 2,
        'train_cfg.val_interval': 2})
    run([bindir / 'deblurkit', 'train', 'deblurganv2_mobilenet_gopro',
         '--work-dir', 'run', *as_cli(options)], work, env)
    checkpoint = work / 'run' / 'iter_2.pth'
    assert checkpoint.is_file()

    photo = osp.join(data['test'], 'seqA', 'blur', '0000.png')
    # `python -m deblurkit` is the same command.
    run([bindir / 'python', '-m', 'deblurkit', 'deblur', photo, '--config',
         'deblurganv2_mobilenet_gopro', '--checkpoint', checkpoint, '--out',
         'deblurred'], work, env)
    out = cv2.imread(str(work / 'deblurred' / '0000.png'))
    assert out is not None and out.shape == cv2.imread(photo).shape
    assert not (work / 'work_dirs').exists()
