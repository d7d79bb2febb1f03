"""``python -m kikan_std`` runs the command line."""

from kikan_std.cli import console_main

console_main()
