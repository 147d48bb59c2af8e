"""``python -m kg``: the ``kg`` command (:mod:`kg.cli`, the repository's ``cli/`` folder),
with the same signal handlers as the installed ``kg`` script."""

from kg.cli.main import main

main()
