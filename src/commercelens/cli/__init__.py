"""The `commercelens` command line: thin Typer commands over the library."""
