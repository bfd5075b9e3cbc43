"""Run documented shell commands, each in its own forked process.

    python doc_command_runner.py JOBS.json

JOBS.json is a list of ``{"argv": [...], "env": {...}, "cwd": FOLDER,
"log": PATH, "timeout": SECONDS}``. This process imports torch, mmengine and deblurkit
once, then forks a child per job (about 7 s of imports saved per command on
a busy 2-core machine); the child runs the command as the shell would:

- ``python SCRIPT ARGS`` (or ``.venv/bin/python``): SCRIPT as ``__main__``
  with its folder first on ``sys.path``; ``python -m MODULE ARGS`` too;
- ``deblurkit TOOL ARGS``: the console command (``deblurkit.commands``);
- anything else (``mkdir``, ``mv``): executed.

Words ``~/...`` and ``$(cat FILE)`` are expanded in the child, when the
commands before it have run. The environment's ``PYTHONPATH`` entries are
put on ``sys.path`` as the interpreter would at start. Each job's stdout
and stderr go to its log; the exit status and seconds of each are printed as
JSON, one line per job, as the jobs finish.
"""
import gc
import importlib
import json
import os
import os.path as osp
import re
import runpy
import signal
import sys
import time
import traceback

import mmengine.runner.runner

from deblurkit.commands import main as deblurkit_main

# Imported once, for every child.
for module in ('av', 'cv2', 'matplotlib.pyplot', 'onnxruntime', 'torch',
               'torchvision', 'yapf.yapflib.yapf_api', 'deblurkit.apis',
               'deblurkit.datasets', 'deblurkit.evaluation'):
    importlib.import_module(module)

# mmengine's Runner logs the environment (compilers, CUDA, versions:
# subprocesses, about a second) at every start; the same for every child.
_ENV = mmengine.runner.runner.collect_env()
mmengine.runner.runner.collect_env = lambda: dict(_ENV)
# What is imported now is kept: no child's garbage collection walks it.
gc.freeze()

PYTHONS = ('python', 'python3', '.venv/bin/python')


def expand(word):
    if word.startswith('~/'):
        word = osp.expanduser(word)

    def cat(match):
        with open(match[1]) as f:
            return f.read().strip()
    return re.sub(r'\$\(cat ([^)]+)\)', cat, word)


def child(job):
    os.chdir(job['cwd'])
    os.environ.update(job['env'])
    for path in reversed(job['env'].get('PYTHONPATH', '').split(os.pathsep)):
        if path:
            sys.path.insert(0, osp.abspath(path))
    log = os.open(job['log'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    signal.alarm(job['timeout'])
    argv = [expand(word) for word in job['argv']]
    if argv[0] in PYTHONS and argv[1] == '-m':
        sys.argv = [argv[2]] + argv[3:]
        runpy.run_module(argv[2], run_name='__main__', alter_sys=True)
    elif argv[0] in PYTHONS:
        sys.argv = argv[1:]
        sys.path.insert(0, osp.dirname(osp.abspath(argv[1])))
        runpy.run_path(argv[1], run_name='__main__')
    elif argv[0] == 'deblurkit':
        return deblurkit_main(argv[1:])
    else:
        os.execvp(argv[0], argv)
    return 0


def run(job):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = child(job)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (
                0 if exit.code is None else 1)
            if not isinstance(exit.code, (int, type(None))):
                print(exit.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == '__main__':
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        start = time.perf_counter()
        rc = run(job)
        print(json.dumps({'log': job['log'], 'rc': rc,
                          'seconds': round(time.perf_counter() - start, 1)}),
              flush=True)
