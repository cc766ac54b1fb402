"""The environment variables ``Config.from_environment()`` reads (re-exported for Lambda users).

The table and its rules live with the configuration, in :mod:`dynamorm_async.environment`.
"""

from ..environment import *  # noqa: F403
from ..environment import __all__ as __all__
