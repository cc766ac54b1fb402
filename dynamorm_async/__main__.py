"""``python -m dynamorm_async``: the ``dynamorm-async`` command."""

import sys

from .cli import main

sys.exit(main())
