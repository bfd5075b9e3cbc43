"""What every command-line tool shares: exit codes, one-line errors, the
summary of a batch, and a ``--cfg-options`` parser that fails like argparse.

Exit codes (documented in docs/user_guides/inference.md and train_test.md):

====  ==============================================================
0     everything asked for was done
1     the run finished, but some inputs failed (named in the summary)
2     bad command line, config, checkpoint or output path: nothing ran
3     training stopped: a loss or gradient became NaN or infinite (the
      message names the iteration and the term; no checkpoint with
      non-finite weights was written, --resume continues from the last)
130   interrupted (Ctrl-C); the summary says what was done
====  ==============================================================
"""
import argparse
import sys
from contextlib import contextmanager
from functools import wraps

from mmengine.config import DictAction

__all__ = [
    'EXIT_OK', 'EXIT_FAILED', 'EXIT_USAGE', 'EXIT_NON_FINITE',
    'EXIT_INTERRUPTED', 'UserError',
    'user_errors', 'tool_main', 'RunSummary', 'CfgOptionsAction',
    'CONFIG_HELP', 'config_file', 'HelpFormatter'
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_NON_FINITE = 3


class UserError(Exception):
    """Bad user input; the tool prints ``error: <message>`` (no traceback)
    and exits with ``code``."""

    def __init__(self, message, code=EXIT_USAGE):
        super().__init__(message)
        self.code = code


def _one_line(err):
    text = ' '.join(str(err).split()) or type(err).__name__
    if isinstance(err, KeyError) and text.startswith(("'", '"')):
        text = text[1:-1]  # KeyError quotes its message
    if isinstance(err, SyntaxError) and err.filename:
        text = f'{err.filename}, line {err.lineno}: {err.msg}'
    return text


@contextmanager
def user_errors(what, kinds=(OSError, ValueError, KeyError, TypeError,
                             SyntaxError, ImportError, AttributeError)):
    """Turn the exceptions ``kinds`` raised inside the block into a
    :class:`UserError` saying ``what`` failed, e.g. ``user_errors('config
    x.py')``: loading a user's file fails on the user's input."""
    try:
        yield
    except UserError:
        raise
    except kinds as err:
        raise UserError(f'{what}: {_one_line(err)}') from err


def tool_main(main):
    """Decorate a tool's ``main(argv) -> int``: a :class:`UserError`
    becomes ``error: ...`` on stderr and its exit code; Ctrl-C exits 130
    (a tool that has a summary to print catches it first)."""

    @wraps(main)
    def run(argv=None):
        try:
            return main(argv)
        except UserError as err:
            print(f'error: {err}', file=sys.stderr)
            return err.code
        except KeyboardInterrupt:
            print('\ninterrupted', file=sys.stderr)
            return EXIT_INTERRUPTED

    return run


class RunSummary:
    """What a batch run did, printed at the end and turned into the exit
    code: 0 if all was written, 1 if anything failed or nothing was found.

    Args:
        out (str): Where the outputs went, for the first line.
    """

    def __init__(self, out):
        self.out = out
        self.written, self.failed, self.skipped = [], [], []
        self.interrupted = False

    def done(self, output):
        self.written.append(output)

    def fail(self, name, error):
        """Record a failed input; ``error`` is a message or an exception."""
        reason = error if isinstance(error, str) else (
            f'{type(error).__name__}: {_one_line(error)}')
        self.failed.append((str(name), reason))

    def skip(self, name, reason):
        """Record an entry left out on purpose (not a failure)."""
        self.skipped.append((str(name), reason))

    def print(self, file=None):
        file = file or sys.stdout
        state = ' (interrupted)' if self.interrupted else ''
        print(f'{len(self.written)} written to {self.out}, '
              f'{len(self.failed)} failed{state}', file=file)
        for name, reason in sorted(self.failed):
            print(f'  FAILED {name}: {reason}', file=file)
        for name, reason in sorted(self.skipped):
            print(f'  skipped {name}: {reason}', file=file)

    def exit_code(self):
        if self.interrupted:
            return EXIT_INTERRUPTED
        if not self.written and not self.failed:
            print('error: no input files found', file=sys.stderr)
            return EXIT_FAILED
        return EXIT_FAILED if self.failed else EXIT_OK


class CfgOptionsAction(DictAction):
    """mmengine's ``--cfg-options`` parser; a malformed ``KEY=VALUE`` is a
    usage error (exit 2, one line) as for any other argument."""

    def __call__(self, parser, namespace, values, option_string=None):
        for kv in values:
            key, sep, value = kv.partition('=')
            if not sep or not key:
                parser.error(f'argument {option_string}: {kv!r} is not '
                             'KEY=VALUE (e.g. train_cfg.max_iters=100)')
            try:
                self._parse_iterable(value)
            except Exception as err:  # noqa: BLE001  any parse failure
                parser.error(f'argument {option_string}: cannot parse the '
                             f'value of {kv!r} ({_one_line(err)})')
        super().__call__(parser, namespace, values, option_string)


#: The help of every tool's config argument.
CONFIG_HELP = ('config file, or the name of a shipped config such as '
               'deblurganv2_mobilenet_gopro (`deblurkit configs` lists them)')


def config_file(value):
    """argparse ``type`` of a config argument: the file of a path or of a
    shipped config's name (:func:`deblurkit.shipped.resolve_config`).

    An unknown one raises :class:`UserError` (not argparse's error), so a
    tool's :func:`tool_main` prints one ``error: config ...`` line naming
    the close names and exits 2.
    """
    from deblurkit.shipped import resolve_config
    try:
        return resolve_config(value)
    except FileNotFoundError as err:
        raise UserError(str(err)) from None


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` with each option's default, unless the help already
    states it or there is none to state (None, False)."""

    def _get_help_string(self, action):
        text = action.help or ''
        default = action.default
        if ('default' in text or '%(default)' in text
                or any(default is none
                       for none in (None, False, argparse.SUPPRESS))
                or (not action.option_strings and action.nargs is None)):
            return text
        if isinstance(default, (list, tuple)):  # as typed: --shape 736 1280
            default = ' '.join(map(str, default))
        shown = f'default: {default}'.replace('%', '%%')
        return f'{text} ({shown})' if text else shown
