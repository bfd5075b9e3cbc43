"""``python -m deblurkit TOOL [ARGS]``: the ``deblurkit`` command."""
import sys

from deblurkit.commands import main

if __name__ == '__main__':
    sys.exit(main())
