"""The ``deblurkit`` command: ``deblurkit TOOL [ARGS]`` runs a shipped tool.

    deblurkit train deblurganv2_mobilenet_gopro
    deblurkit deblur photos/ --config deblurganv2_mobilenet_gopro \\
        --checkpoint fpn_mobilenet.h5 --out deblurred/
    python -m deblurkit test deblurganv2_mobilenet_gopro fpn_mobilenet.h5
    torchrun --nproc_per_node 2 -m deblurkit train CONFIG --launcher pytorch

Each tool is the script of ``tools/`` (shipped inside the package, see
:mod:`deblurkit.shipped`), run as ``python tools/<script>`` would run it:
the same arguments, help and exit status.
"""
import os.path as osp
import sys
import types

from deblurkit.shipped import config_names, shipped_dir

#: command -> (script under tools/, what it does)
TOOLS = {
    'train': ('train.py', 'train a model (mmengine Runner)'),
    'test': ('test.py', 'evaluate a checkpoint on a test set'),
    'deblur': ('deblur.py', 'deblur images, folders and videos'),
    'demo': ('demo.py', 'train and evaluate on synthetic blur (make demo)'),
    'convert': ('model_converters/official_to_deblurkit.py',
                "the authors' .h5 / MMagic's file -> a deblurkit checkpoint"),
    'export': ('deployment/export_onnx.py', 'export the generator to ONNX'),
    'quantize': ('deployment/quantize_onnx.py',
                 'int8 static quantisation of an exported ONNX model'),
    'synthesize': ('dataset_converters/synthesize_blur.py',
                   'blurred/sharp training pairs from sharp photos'),
    'eval-report': ('analysis_tools/eval_report.py',
                    'every benchmark under its own protocol, as tables'),
    'flops': ('analysis_tools/get_flops.py', "a generator's MACs and "
              'parameters'),
    'benchmark': ('analysis_tools/benchmark.py',
                  'inference latency, throughput and memory'),
    'benchmark-onnx': ('analysis_tools/benchmark_onnx.py',
                       'PyTorch fast path vs float32 / int8 ONNX Runtime'),
    'benchmark-train': ('analysis_tools/benchmark_train.py',
                        'training iteration time and memory'),
    'video-benchmark': ('analysis_tools/video_benchmark.py',
                        'video deblurring throughput'),
    'temporal-flicker': ('analysis_tools/temporal_flicker.py',
                         'frame-to-frame flicker of deblurred video'),
    'tile-memory': ('analysis_tools/tile_memory.py',
                    'peak memory of tiled against whole-image inference'),
    'plot-curves': ('analysis_tools/plot_curves.py',
                    "a run's losses and validation metrics as a PNG"),
}


def usage():
    width = max(map(len, TOOLS)) + 2
    lines = [
        'usage: deblurkit TOOL [ARGS ...]   (deblurkit TOOL --help for '
        "a tool's arguments)", '', 'tools:'
    ]
    lines += [f'  {name:<{width}}{what}' for name, (_, what) in TOOLS.items()]
    lines += [
        f'  {"configs":<{width}}list the shipped configs (names that '
        'every tool accepts as CONFIG)', '',
        'options: -h/--help, --version'
    ]
    return '\n'.join(lines)


def list_configs():
    print(f'configs shipped with deblurkit ({shipped_dir("configs")}):')
    for name in config_names():
        print(f'  {name}')
    print('dataset configs (test sets, e.g. deblurkit test CONFIG CKPT '
          '--test-set hide):')
    print('  ' + ' '.join(config_names('_base_/datasets')))
    return 0


def run_tool(name, argv):
    """Run the script of tool ``name`` with ``argv`` as ``__main__``, as
    ``python tools/<script> ARGV`` does; returns its exit status."""
    root = shipped_dir('tools')
    script = osp.join(root, TOOLS[name][0])
    if not osp.isfile(script):
        print(f'error: {script} is missing: this deblurkit was installed '
              'without its tools (reinstall it from a wheel or a checkout)',
              file=sys.stderr)
        return 2
    with open(script, encoding='utf-8') as f:
        code = compile(f.read(), script, 'exec')
    # What `python tools/x.py` gives the script: its folder first on the
    # path, and the folder holding tools/ so that `tools.*` imports work.
    for folder in (osp.dirname(root), osp.dirname(script)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    module = types.ModuleType('__main__')
    module.__file__ = script
    saved_main, saved_argv = sys.modules['__main__'], sys.argv
    sys.modules['__main__'] = module
    sys.argv = [f'deblurkit {name}', *argv]  # argparse's prog
    try:
        exec(code, module.__dict__)
    except SystemExit as done:
        code = done.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    finally:
        sys.modules['__main__'], sys.argv = saved_main, saved_argv
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help', 'help'):
        print(usage())
        return 0 if argv else 2
    if argv[0] == '--version':
        from deblurkit import __version__
        print(f'deblurkit {__version__}')
        return 0
    if argv[0] == 'configs':
        return list_configs()
    if argv[0] not in TOOLS:
        import difflib
        close = difflib.get_close_matches(argv[0], list(TOOLS) + ['configs'])
        hint = f' (did you mean {close[0]}?)' if close else ''
        print(f'error: unknown tool {argv[0]!r}{hint}; `deblurkit --help` '
              'lists them', file=sys.stderr)
        return 2
    return run_tool(argv[0], argv[1:])
