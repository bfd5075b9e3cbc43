"""Every option that README.md and docs/ pass to a tool exists in that
tool's parser (a renamed or removed option breaks this test, not a user's
command)."""
import argparse
import glob
import os.path as osp
import re
import shlex

import pytest

from conftest import REPO
from deblurkit.commands import TOOLS, run_tool

SCRIPT_OF = {name: script for name, (script, _) in TOOLS.items()}
DOCS = [osp.join(REPO, 'README.md')] + sorted(
    glob.glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True))


def shell_blocks(text):
    return re.findall(r'```(?:bash|sh|shell)\n(.*?)```', text, re.S)


def commands(block):
    """``(script under tools/, [argument, ...])`` of each tool command of a
    shell block, with the block's simple variables expanded."""
    variables = {}
    for line in block.replace('\\\n', ' ').splitlines():
        line = line.split(' #')[0].strip()
        if not line or line.startswith('#'):
            continue
        match = re.fullmatch(r'([A-Z_]+)=(.*)', line)
        if match:
            variables[match[1]] = match[2].strip('"\'')
            continue
        line = re.sub(r'\$\{?([A-Z_]+)\}?',
                      lambda m: variables.get(m[1], m[0]), line)
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        for i, word in enumerate(words):
            if word.startswith('tools/') and word.endswith('.py'):
                yield word[len('tools/'):], words[i + 1:]
                break
            if word == 'deblurkit' and i + 1 < len(words) and \
                    words[i + 1] in SCRIPT_OF:
                yield SCRIPT_OF[words[i + 1]], words[i + 2:]
                break


def documented_options():
    found = {}
    for path in DOCS:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for block in shell_blocks(text):
            for script, args in commands(block):
                for arg in args:
                    if re.fullmatch(r'--[a-z][a-z0-9-_]*(=.*)?', arg):
                        found.setdefault(script, {}).setdefault(
                            arg.split('=')[0], osp.relpath(path, REPO))
    return found


class _Parsed(Exception):
    pass


def parser_of(script, monkeypatch):
    def catch(self, args=None, namespace=None):
        raise _Parsed(self)

    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', catch)
    monkeypatch.setitem(TOOLS, '_doc', (script, ''))
    with pytest.raises(_Parsed) as info:
        run_tool('_doc', [])
    return info.value.args[0]


DOCUMENTED = documented_options()


def test_the_docs_name_tools_and_options():
    # The extraction finds the commands it is meant to check.
    assert {'train.py', 'test.py', 'deblur.py',
            'analysis_tools/benchmark.py'} <= set(DOCUMENTED)
    assert '--checkpoint' in DOCUMENTED['deblur.py']


@pytest.mark.parametrize('script', sorted(DOCUMENTED))
def test_documented_options_exist(script, monkeypatch):
    if not osp.isfile(osp.join(REPO, 'tools', script)):
        pytest.fail(f'the docs run tools/{script}, which does not exist')
    parser = parser_of(script, monkeypatch)
    known = {s for a in parser._actions for s in a.option_strings}
    unknown = {opt: doc for opt, doc in DOCUMENTED[script].items()
               if opt not in known
               and not any(k.startswith(opt) for k in known)}
    assert not unknown, f'tools/{script}: options not in its parser: {unknown}'
