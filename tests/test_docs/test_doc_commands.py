"""Every shell command of README.md, configs/README.md and docs/, pulled out
of their ```bash / ```sh / ```shell blocks, runs as written.

The commands run in an empty folder holding a copy of configs/, tools/ and
tests/data/ (the paths the docs use in a checkout), in one process per
command (forked from tests/test_docs/doc_command_runner.py, which imports
torch once), in the documents' order, so that a command finds what the
commands before it wrote. What users download is replaced by stand-ins:
an official-format fpn_mobilenet.h5 / fpn_inception.h5 rebuilt from the
test fixtures, tiny data sets in each benchmark's layout, `make demo`'s
outputs from a 2-iteration demo, a few noise photos and videos. Runs are
shortened by options appended to the command (``train_cfg.max_iters``,
``--shape``, ``--repeat`` ...: :data:`SHORTER`), placeholders such as
CONFIG and CHECKPOINT stand for a shipped config and a checkpoint made
here (:data:`PLACEHOLDERS`).

A command that cannot run here is listed in :data:`NOT_RUN` with the
reason; a command that is neither run nor listed (a new one in a doc) fails
:func:`test_every_command_is_run_or_listed`, as does a listed one that is
no longer in the docs.
"""
import functools
import glob
import json
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys
from collections import namedtuple

import pytest
import torch
from conftest import (REPO, write_dvd_dataset, write_gopro_dataset,
                      write_hide_dataset, write_kohler_dataset,
                      write_realblur_dataset)

from deblurkit.models.generators.fast.onednn import (bf16_convolutions,
                                                     native_bf16)

#: The documents, as two readers on two machines follow them (the two
#: run side by side): in this order, since a later document may use what an
#: earlier one made (the fine-tuning pairs README.md trains on, the
#: converted checkpoints).
CHAINS = [
    [
        'docs/user_guides/finetune.md',
        'README.md',
        'docs/user_guides/train_test.md',
        'docs/user_guides/dataset_prepare.md',
        'docs/user_guides/inference.md',
        'docs/user_guides/synthesize_data.md',
    ],
    [
        'configs/README.md',
        'docs/user_guides/evaluation.md',
        'docs/benchmarks.md',
        'docs/advanced_guides/architecture.md',
        'docs/advanced_guides/registries_and_custom_modules.md',
    ],
]
DOCS = [doc for chain in CHAINS for doc in chain]

Command = namedtuple('Command', 'doc line text words env')


def test_docs_lists_every_document():
    found = {'README.md', 'configs/README.md'} | {
        osp.relpath(p, REPO) for p in glob.glob(
            osp.join(REPO, 'docs', '**', '*.md'), recursive=True)
    }
    assert set(DOCS) == found


def doc_commands(doc):
    """The commands of ``doc``'s shell blocks: continuations joined,
    comments dropped, ``NAME=value`` lines and ``export`` applied to the
    lines after them (``$NAME`` expanded, exported names also set in the
    environment), a leading ``NAME=value`` set in the command's
    environment. A line of options only (``--cfg-options ...``) is a
    fragment to add to a command, kept with ``words[0]`` starting with
    ``--``."""
    with open(osp.join(REPO, doc), encoding='utf-8') as f:
        text = f.read()
    found = []
    for block in re.finditer(r'```(?:bash|sh|shell)\n(.*?)```', text, re.S):
        first = text[:block.start()].count('\n') + 2
        variables, exported = {}, {}
        lines = block[1].split('\n')
        i = 0
        while i < len(lines):
            line, number = lines[i], first + i
            while line.endswith('\\') and i + 1 < len(lines):
                i += 1
                line = line[:-1] + ' ' + lines[i]
            i += 1
            line = re.sub(r'\$\{?([A-Z_][A-Z0-9_]*)\}?',
                          lambda m: variables.get(m[1], m[0]), line)
            words = shlex.split(line, comments=True)
            if not words:
                continue
            assign = re.fullmatch(r'(?:export )?([A-Za-z_]\w*)=(.*)',
                                  ' '.join(words))
            if assign and len(words) <= 2 and (
                    len(words) == 1 or words[0] == 'export'):
                variables[assign[1]] = assign[2]
                if words[0] == 'export':
                    exported[assign[1]] = assign[2]
                continue
            env = dict(exported)
            while re.fullmatch(r'[A-Za-z_]\w*=\S*', words[0]):
                name, value = words.pop(0).split('=', 1)
                env[name] = value
            found.append(Command(doc, number, ' '.join(words), words, env))
    return found


def all_commands():
    return [c for doc in DOCS for c in doc_commands(doc)]


#: (document, regular expression searched in the command, why it is not
#: run here). Each entry must match a command of its document.
NOT_RUN = [
    ('README.md', r'^make demo$',
     'trains the whole demo (minutes); its outputs are made here by a '
     '2-iteration `tools/demo.py` (the stand-in the other commands use)'),
    ('README.md', r'^make test$', 'runs this test suite'),
    ('README.md', r'tools/demo\.py --photos ',
     'the whole demo (minutes); '
     'tests/test_tools/test_demo_tool.py runs --photos on a tiny demo'),
    ('README.md', r'^pip install \.$',
     'installs from an index; tests/test_packaging/test_wheel.py builds '
     'the wheel and installs it into a fresh venv'),
    ('docs/user_guides/train_test.md', r'^tensorboard ',
     'the TensorBoard server, an optional extra not installed here'),
    ('docs/user_guides/train_test.md', r'--tensorboard$',
     'needs the optional extra `pip install deblurkit[tensorboard]`; '
     'tests/test_tools/test_train_test_tools.py checks the switch'),
    ('docs/user_guides/train_test.md', r'^bash tools/dist_train\.sh .* 8$',
     'eight GPUs'),
    ('docs/user_guides/train_test.md', r'^bash tools/dist_train\.sh ',
     'two torchrun processes (two more starts of torch): '
     'tests/test_tools/test_dist_train.py runs the script'),
    ('docs/user_guides/train_test.md', r'^bash tools/dist_test\.sh ',
     'two torchrun processes (two more starts of torch); not run by any '
     'test'),
    ('docs/user_guides/evaluation.md', r'^pip install ',
     'downloads the reference implementations (pinned versions)'),
    ('docs/user_guides/evaluation.md', r'make_references\.py$',
     'needs the reference implementations that `pip install` downloads'),
    ('docs/user_guides/evaluation.md', r'-m pytest ',
     'needs the reference implementations; it is part of the test suite'),
    ('docs/user_guides/inference.md', r'--device cuda',
     'needs a CUDA GPU'),
    ('docs/user_guides/inference.md', r'webcam:0',
     'needs a webcam and runs until Ctrl-C'),
    ('docs/user_guides/inference.md', r'^pip install deblurkit\[video\]',
     'installs from an index (PyAV is installed here)'),
    ('docs/benchmarks.md', r'--device cuda', 'needs a CUDA GPU'),
    ('docs/benchmarks.md', r'^bash tools/analysis_tools/gpu_benchmarks\.sh',
     'needs a CUDA GPU; tests/test_tools/test_gpu_benchmarks_script.py '
     'runs it with a stand-in for Python'),
    ('docs/benchmarks.md', r'--compile',
     'torch.compile takes minutes per shape on 2 cores (not run by any '
     'test)'),
]


#: Placeholders of the docs (whole words) and what they stand for here.
PLACEHOLDERS = {
    'CONFIG': 'configs/deblurganv2_mobilenet_gopro.py',
    'CHECKPOINT': 'checkpoints/fpn_mobilenet.pth',
    'CKPT': 'checkpoints/fpn_mobilenet.pth',
    'C': 'configs/deblurganv2_mobilenet_demo.py',
    'K': 'work_dirs/demo/deblurganv2_mobilenet_demo.pth',
}

#: Absolute paths of the docs -> where they are under the test's folder.
MOVED = {'/tmp/ex/': 'ex/', '/mnt/': 'mnt/'}

#: --cfg-options appended to a training command (each only where the
#: command does not set it and its config has the key): 64x64 crops of
#: batches of 1, in the main process, a log line every iteration, one
#: validation at the end, no ImageNet weights to download.
FAST_TRAINING = {
    'train_cfg.val_interval': '2',
    'default_hooks.logger.interval': '1',
    'model.content_loss.pretrained': 'False',
    'model.generator.backbone.pretrained': 'False',
    'train_dataloader.num_workers': '0',
    'val_dataloader.num_workers': '0',
    'train_dataloader.batch_size': '1',
    # pipeline steps 2 and 3: pad and crop
    'train_dataloader.dataset.pipeline.2.size': '64',
    'train_dataloader.dataset.pipeline.3.size': '64',
}
#: Tool (script under tools/) -> options appended to its commands: the same
#: work on tiny inputs. SIZE is 64, or 128 for the InceptionResNetV2
#: configs (the smallest input it takes) and for ONNX exports (the
#: untrained stand-in weights amplify rounding at 64x64 beyond the 1e-4
#: check).
SHORTER = {
    'analysis_tools/benchmark.py': ['--shape', 'SIZE', 'SIZE', '--repeat',
                                    '1', '--warmup', '0'],
    'analysis_tools/benchmark_onnx.py': ['--shape', 'SIZE', 'SIZE',
                                         '--repeat', '1', '--warmup', '0',
                                         '--max-calib', '2'],
    'analysis_tools/benchmark_train.py': ['--shape', 'SIZE', 'SIZE',
                                          '--frame-shape', 'SIZE', 'SIZE',
                                          '--pairs', '1', '--iters', '1',
                                          '--warmup', '0', '--batch-size',
                                          '1', '--num-workers', '0'],
    'analysis_tools/eval_report.py': ['--shape', 'SIZE', 'SIZE',
                                      '--max-images', '1'],
    'analysis_tools/get_flops.py': ['--shape', 'SIZE', 'SIZE'],
    'analysis_tools/temporal_flicker.py': ['--frames', '3', '--size', 'SIZE',
                                           'SIZE'],
    'analysis_tools/tile_memory.py': ['--height', '192', '--width', '256',
                                      '--tile', '128', '--tile-overlap',
                                      '32', '--compare-size', '96', '128'],
    'analysis_tools/video_benchmark.py': ['--size', 'SIZE', 'SIZE',
                                          '--frames', '2', '--rounds', '1'],
    'dataset_converters/synthesize_blur.py': ['--num-train', '2',
                                              '--num-test', '2', '--size',
                                              '64', '64', '--workers', '1',
                                              '--no-progress'],
    'deployment/export_onnx.py': ['--shape', '128', '128'],
    'deployment/quantize_onnx.py': ['--max-images', '2'],
}

#: Scale of the iteration counts a command sets (train_cfg.max_iters=2000
#: runs 2 iterations, and its iter_2000.pth is iter_2.pth); training
#: commands that set none run SHORT_RUN iterations.
PER_ITERATION = 1000
SHORT_RUN = 2

#: Documents whose option lines (``--cfg-options ...``) are added to a
#: command; here the command their text names.
FRAGMENT_OF = {
    'docs/user_guides/dataset_prepare.md':
    'python tools/test.py configs/deblurganv2_mobilenet_gopro.py '
    'checkpoints/fpn_mobilenet.pth',
}

#: (document, regular expression of the command) -> files it must leave
#: (after the command's own paths are shrunk), beyond its exit status 0.
LEAVES = {
    ('README.md', r'tools/deblur\.py my_photos/'): ['deblurred/photo0.jpg'],
    ('README.md', r'convert'): ['checkpoints/fpn_mobilenet.pth'],
    ('README.md', r'eval-report'): ['work_dirs/eval_report/report.md'],
    ('README.md', r'export'): ['fpn_mobilenet.onnx'],
    ('docs/user_guides/train_test.md', r'--work-dir work_dirs/short'):
    ['work_dirs/short/iter_1.pth'],
    ('docs/user_guides/train_test.md', r'plot_curves\.py work_dirs/demo'):
    ['curves.png'],
    ('docs/user_guides/finetune.md', r'synthesize'):
    ['data/finetune/synthesis.json'],
    ('docs/user_guides/evaluation.md', r'--out /tmp/ex/report'):
    ['ex/report/report.md'],
    ('docs/user_guides/inference.md', r'IMG_0042'):
    ['deblurred/IMG_0042.jpg', 'deblurred/holiday.mp4'],
    ('docs/user_guides/inference.md', r'quantize'): ['demo_int8.onnx'],
    ('docs/user_guides/inference.md', r'--as-video'): ['out/shot.mp4'],
    ('docs/advanced_guides/registries_and_custom_modules.md', r'test\.py'):
    ['work_dirs/my_unet/scores.json'],
}


def not_run_reason(command):
    for doc, pattern, reason in NOT_RUN:
        if doc == command.doc and re.search(pattern, command.text):
            return reason
    return bf16_reason(command.words)


#: Tools whose bfloat16 runs take --allow-emulated-bf16, and whether they
#: still need oneDNN's bf16 convolutions with it (the inference fast path
#: calls them directly; training's autocast falls back where oneDNN has
#: none).
EMULATED_BF16 = {'analysis_tools/benchmark.py': True,
                 'analysis_tools/benchmark_train.py': False}


def bf16_reason(words):
    """Why a bfloat16 command cannot run on this CPU, or None."""
    if not needs_native_bf16(words) or native_bf16():
        return None
    tool = tool_of(words)
    if tool in EMULATED_BF16 and (not EMULATED_BF16[tool]
                                  or bf16_convolutions()):
        return None  # runs emulated (as_run adds --allow-emulated-bf16)
    if bf16_convolutions():
        return ('computes in bfloat16, which this CPU has no native support '
                'for (and the tool refuses to emulate)')
    return ('computes in bfloat16 with oneDNN, which cannot run bfloat16 '
            'convolutions on this CPU at all')


#: Tools that time each path in a fresh process of its own (seconds to
#: start each): of their commands with the same options (other values:
#: config, size, repetitions, output file), the first runs, for the others
#: it stands.
TIMED_IN_WORKERS = {'analysis_tools/benchmark.py',
                    'analysis_tools/benchmark_onnx.py',
                    'analysis_tools/benchmark_train.py',
                    'analysis_tools/tile_memory.py'}


def plan(commands):
    """``[(command, the earlier command run for it, or None), ...]`` of the
    runnable ``commands`` of one chain: a command repeated (another
    document) runs once, and so do the commands of TIMED_IN_WORKERS with
    one set of options."""
    planned, first = [], {}
    for command in commands:
        if not_run_reason(command):
            continue
        tool = tool_of(command.words)
        keys = [(command.text, tuple(sorted(command.env.items())))]
        if tool in TIMED_IN_WORKERS:
            keys.append((tool, frozenset(
                w.split('=')[0] for w in command.words if w[:2] == '--')))
        earlier = next((first[k] for k in keys if k in first), None)
        for key in keys:
            first.setdefault(key, command)
        planned.append((command, earlier))
    return planned


def test_every_command_is_run_or_listed():
    commands = all_commands()
    for doc, pattern, _ in NOT_RUN:
        assert any(c.doc == doc and re.search(pattern, c.text)
                   for c in commands), (
            f'NOT_RUN lists {pattern!r} of {doc}, no longer a command there')
    for command in commands:
        if command.words[0].startswith('-'):
            assert command.doc in FRAGMENT_OF, (
                f'{command.doc}:{command.line}: options without a command '
                '(add the document to FRAGMENT_OF)')
    runnable = [c for c in commands if not not_run_reason(c)]
    # What the extraction must find (a broken pattern finds nothing).
    assert len(runnable) > 60 and len(commands) - len(runnable) < 30
    planned = [p for docs in CHAINS for p in
               plan(c for doc in docs for c in doc_commands(doc))]
    assert len(planned) == len(runnable)
    stand_for = [(c.text, e.text) for c, e in planned if e]
    assert 3 <= len(stand_for) <= 12, stand_for
    for command in runnable:
        # Every runnable command is one the runner knows how to run.
        assert command.words[0] in ('python', '.venv/bin/python',
                                    'deblurkit', 'mkdir', 'mv') or \
            command.words[0].startswith('-'), (
                f'{command.doc}:{command.line}: {command.text!r} is neither '
                'a command the test runs nor listed in NOT_RUN')


def tool_of(words):
    """The script under tools/ that ``words`` run, or None."""
    from deblurkit.commands import TOOLS
    if words[0] == 'deblurkit' and len(words) > 1 and words[1] in TOOLS:
        return TOOLS[words[1]][0]
    for word in words[1:2]:
        if word.startswith('tools/') and word.endswith('.py'):
            return word[len('tools/'):]
    return None


def scaled(word):
    """An iteration count of the docs, and the checkpoint named after it,
    divided by PER_ITERATION."""
    word = re.sub(r'^(train_cfg\.max_iters=)(\d+)$',
                  lambda m: f'{m[1]}{max(1, int(m[2]) // PER_ITERATION)}',
                  word)
    return re.sub(r'iter_(\d{4,})\.pth',
                  lambda m: f'iter_{int(m[1]) // PER_ITERATION}.pth', word)


@functools.lru_cache()
def _config(path):
    from mmengine.config import Config

    from deblurkit.shipped import resolve_config
    return Config.fromfile(resolve_config(path), import_custom_modules=False)


def has_key(config, dotted):
    """Whether ``config`` (a file or a shipped name) sets ``dotted``."""
    node = _config(config)
    for key in dotted.split('.'):
        try:
            node = node[int(key)] if isinstance(node, list) else node[key]
        except (KeyError, IndexError, ValueError, TypeError):
            return False
    return True


def needs_native_bf16(words):
    """Whether a CPU command computes in bfloat16 (``--dtype bf16``,
    ``--bf16``, ``--amp``), which the tools refuse on a CPU without it."""
    pairs = list(zip(words, words[1:]))
    if any(a == '--device' and b.startswith('cuda') for a, b in pairs):
        return False
    return ('--bf16' in words or '--amp' in words or
            ('--dtype', 'bf16') in pairs)


def as_run(command, tmp):
    """``(argv, env)`` of a documented command here: placeholders and
    moved paths replaced, iteration counts scaled, shortening options
    appended."""
    words = list(command.words)
    if words[0].startswith('-'):
        words = shlex.split(FRAGMENT_OF[command.doc]) + words
    words = [PLACEHOLDERS.get(w, w) for w in words]
    for old, new in MOVED.items():
        words = [w.replace(old, f'{tmp}/{new}') for w in words]
    words = [scaled(w) for w in words]
    tool = tool_of(words)
    if tool == 'train.py':
        config = words[2]
        given = {w.split('=')[0] for w in words if '=' in w}
        options = dict(FAST_TRAINING)
        if 'train_cfg.max_iters' not in given:
            options['train_cfg.max_iters'] = str(SHORT_RUN)
        words += ['--cfg-options'] + [
            f'{k}={v}' for k, v in options.items()
            if k not in given and has_key(
                osp.join(tmp, config) if config.endswith('.py') else config,
                k)]
    else:
        size = '128' if any('inception' in w for w in words) else '64'
        words += [size if w == 'SIZE' else w for w in SHORTER.get(tool, [])]
    if needs_native_bf16(words) and not native_bf16() and \
            tool in EMULATED_BF16:
        # The tools refuse bf16 where oneDNN would emulate it (slower than
        # float32); on such a CPU the command runs with that check off.
        words.append('--allow-emulated-bf16')
    env = dict(command.env)
    env['PYTHONPATH'] = os.pathsep.join(
        [p for p in [env.get('PYTHONPATH'), REPO] if p])
    return words, env


def _photos(folder, names, size=(64, 80), seed=0):
    import cv2
    from conftest import texture
    os.makedirs(folder, exist_ok=True)
    for i, name in enumerate(names):
        assert cv2.imwrite(osp.join(folder, name), texture(seed + i, size))


def _video(path, frames=3, size=(64, 64)):
    import av

    from conftest import texture
    with av.open(path, 'w') as container:
        stream = container.add_stream('mpeg4', rate=10)
        stream.width, stream.height = size[1], size[0]
        stream.pix_fmt = 'yuv420p'
        for k in range(frames):
            frame = av.VideoFrame.from_ndarray(texture(k, size), 'bgr24')
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def make_stand_ins(tmp, h5_state, inception_state, demo):
    """What the docs' readers download or already have, under ``tmp``."""
    for folder in ('configs', 'tools', osp.join('tests', 'data')):
        shutil.copytree(osp.join(REPO, folder), osp.join(tmp, folder),
                        ignore=shutil.ignore_patterns('__pycache__'))
    # The authors' weights (official layout, fixture values).
    for path in ('fpn_mobilenet.h5', 'checkpoints/fpn_mobilenet.h5',
                 'home/Downloads/fpn_mobilenet.h5'):
        os.makedirs(osp.dirname(osp.join(tmp, path)) or tmp, exist_ok=True)
        torch.save({'model': h5_state}, osp.join(tmp, path))
    torch.save({'model': inception_state}, osp.join(tmp, 'fpn_inception.h5'))
    # The benchmarks, in their layouts (docs/user_guides/dataset_prepare.md);
    # test images of 128x128, the smallest InceptionResNetV2 takes.
    for root in ('data/GoPro', 'mnt/GOPRO_Large', 'mnt/my_pairs'):
        write_gopro_dataset(osp.join(tmp, root, 'train'), ('seqA',), 2,
                            (64, 64), seed=0)
        write_gopro_dataset(osp.join(tmp, root, 'test'), ('seqB',), 1,
                            (128, 128), seed=1)
    write_hide_dataset(osp.join(tmp, 'data/HIDE'), size=(128, 128))
    for letter in 'JR':
        write_realblur_dataset(osp.join(tmp, 'data/RealBlur'), letter,
                               size=(128, 128))
    write_kohler_dataset(osp.join(tmp, 'data/Kohler'), kernels=1,
                         size=(128, 128))
    dvd = _config(osp.join(REPO, 'configs/_base_/datasets/dvd.py'))
    write_dvd_dataset(osp.join(tmp, 'data/DVD/quantitative_datasets'),
                      videos=dvd.dvd_test_videos, frames=1, size=(128, 128))
    # `make demo`'s data and model (a 2-iteration demo).
    shutil.copytree(demo, osp.join(tmp), dirs_exist_ok=True)
    # Photos and videos of one's own.
    for folder in ('my_photos', 'photos', 'blurry', 'my_blurry_photos',
                   'my_sharp_photos', 'my_heldout_photos',
                   'home/Pictures/sharp'):
        _photos(osp.join(tmp, folder), ['photo0.jpg', 'photo1.png'])
    _photos(tmp, ['IMG_0042.jpg', 'big.png'])
    _photos(osp.join(tmp, 'scans/2024/june'), ['a.tif', 'b.tif'])
    _photos(osp.join(tmp, 'shot'), ['2.png', '10.png', '1.png'])
    for video in ('holiday.mp4', 'clip.mp4', 'clip.mov'):
        _video(osp.join(tmp, video))
    # The config of one's own that finetune.md shows (python block).
    with open(osp.join(REPO, 'docs/user_guides/finetune.md')) as f:
        config = re.search(r'```python\n# my_finetune\.py\n(.*?)```',
                           f.read(), re.S)[1]
    with open(osp.join(tmp, 'my_finetune.py'), 'w') as f:
        f.write(config.replace('/path/printed/by/deblurkit/configs',
                               osp.join(REPO, 'configs')))


@pytest.fixture(scope='module')
def demo_outputs(tmp_path_factory):
    """`make demo`'s data/demo and work_dirs/demo, from 2 iterations on
    6 pairs of 64x64 (in this process: no second start of torch)."""
    from deblurkit.commands import main
    root = tmp_path_factory.mktemp('demo')
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert main(['demo', '--work-dir', 'work_dirs/demo', '--data-root',
                     'data/demo', '--num-train', '4', '--num-test', '2',
                     '--size', '64', '--max-iters', '2',
                     '--grid-images', '1']) == 0
    return str(root)


def run_chains(tmp, chains):
    """Run each chain's jobs in order, the chains side by side (one runner
    process each); returns the exit status of every job."""
    runner = osp.join(osp.dirname(__file__), 'doc_command_runner.py')
    threads = str(max(1, (os.cpu_count() or 2) // len(chains)))
    running = []
    for i, jobs in enumerate(chains):
        listing = osp.join(tmp, f'jobs{i}.json')
        with open(listing, 'w') as f:
            json.dump(jobs, f)
        running.append(subprocess.Popen(
            [sys.executable, runner, listing], cwd=jobs[0]['cwd'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS=threads,
                     PYTHONDONTWRITEBYTECODE='1')))
    results = []
    for process, jobs in zip(running, chains):
        out, err = process.communicate()
        assert process.returncode == 0, err
        done = [json.loads(line) for line in out.splitlines()]
        assert len(done) == len(jobs), err
        results += done
    with open(osp.join(tmp, 'results.json'), 'w') as f:
        json.dump(results, f, indent=0)
    return [r['rc'] for r in results]


def test_the_commands_run_as_written(tmp_path, official_mobilenet_state,
                                     official_inception_state, demo_outputs):
    chains, commands = [], []
    for i, docs in enumerate(CHAINS):
        cwd = str(tmp_path / f'reader{i}')
        os.makedirs(osp.join(cwd, 'logs'))
        make_stand_ins(cwd, official_mobilenet_state,
                       official_inception_state, demo_outputs)
        jobs = []
        for command, earlier in plan(
                c for doc in docs for c in doc_commands(doc)):
            if earlier:
                continue
            argv, env = as_run(command, cwd)
            env.update(HOME=osp.join(cwd, 'home'))
            log = osp.join(cwd, 'logs', f'{len(jobs):03d}.log')
            jobs.append(dict(argv=argv, env=env, log=log, cwd=cwd,
                             timeout=120))
            commands.append((command, cwd, jobs[-1]))
        chains.append(jobs)
    results = run_chains(str(tmp_path), chains)
    failed = []
    for (command, _, job), rc in zip(commands, results):
        if rc != 0:
            with open(job['log']) as f:
                tail = f.read()[-1500:]
            failed.append(f'{command.doc}:{command.line}: {command.text}\n'
                          f'  ran as: {shlex.join(job["argv"])}\n'
                          f'  exit status {rc}:\n{tail}')
    assert not failed, '\n\n'.join(failed)
    for (doc, pattern), files in LEAVES.items():
        where = [cwd for c, cwd, _ in commands
                 if c.doc == doc and re.search(pattern, c.text)]
        assert where, (doc, pattern)
        for path in files:
            assert osp.isfile(osp.join(where[0], path)), (doc, pattern, path)
