"""``python -m console``: the same as the ``retire`` script."""
from console.cli import main

main()
