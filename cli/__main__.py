"""``python -m kg.cli``: the ``kg`` command, with the same signal handlers as the script."""

from .main import main

main()
