"""Every tool's --help: each argument explained, required ones shown as
required, defaults shown (what `deblurkit TOOL --help` prints)."""
import argparse

import pytest

from deblurkit.cli import HelpFormatter
from deblurkit.commands import TOOLS, run_tool


class _Parsed(Exception):
    pass


@pytest.fixture
def parser_of(monkeypatch):
    """The ArgumentParser a tool builds, caught when it parses."""

    def catch(self, args=None, namespace=None):
        raise _Parsed(self)

    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', catch)

    def get(tool):
        with pytest.raises(_Parsed) as info:
            run_tool(tool, [])
        return info.value.args[0]

    return get


def _has_default(action):
    return not any(action.default is none
                   for none in (None, False, argparse.SUPPRESS))


@pytest.mark.parametrize('tool', sorted(TOOLS))
def test_every_argument_is_explained(parser_of, tool):
    parser = parser_of(tool)
    assert parser.formatter_class is HelpFormatter
    assert parser.prog == f'deblurkit {tool}'
    text = parser.format_help()
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        name = action.option_strings[-1] if action.option_strings else (
            action.dest)
        assert action.help, f'{tool} {name}: no help'
        if not action.option_strings:  # a positional is always required
            assert action.nargs in (None, '+'), f'{tool} {name} optional'
        elif _has_default(action) and not isinstance(
                action, argparse._HelpAction):
            shown = parser._get_formatter()._get_help_string(action)
            assert 'default' in shown, f'{tool} {name}: default not shown'
    assert 'usage: deblurkit' in text


def test_required_config_and_defaults_in_help(parser_of):
    text = ' '.join(parser_of('benchmark').format_help().split())
    # the config is a required positional, not [config]
    assert 'usage: deblurkit benchmark [-h]' in text and ' config ' in text
    assert '[config]' not in text
    assert 'images per call (default: 1)' in text
    assert '--fp16 same as --dtype fp16' in text
    assert '--bf16 same as --dtype bf16' in text
    train = ' '.join(parser_of('train').format_help().split())
    assert '--local_rank LOCAL_RANK, --local-rank LOCAL_RANK rank of' in train
    assert 'launcher (LOCAL_RANK in the environment wins) (default: 0)' in (
        train)
