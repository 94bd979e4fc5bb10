"""`python -m zuji` runs the command line, as the installed `zuji` command does."""

from zuji.interfaces.cli import main

main()
