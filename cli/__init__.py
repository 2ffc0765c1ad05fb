"""The `formwork` command line: the root group in cli.root, one module per command group.

app.py adds `serve` (the one command that needs the web app) and is the console script's entry point.
"""
