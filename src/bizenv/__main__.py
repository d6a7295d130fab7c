"""``python -m bizenv`` runs the command line."""

from .cli import main

main()
