"""One module per subcommand, each with a function returning an exit code."""
