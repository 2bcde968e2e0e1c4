"""Run the example host's walk-through: ``python -m examples.host``."""

from examples.host.app import main

main()
