"""The command line: `main` (the entry point and the one place errors become exit codes), the typer
app, and one module per subcommand, each a `run` returning an exit code. It reads specs through
`promgen.load`, checks them through `promgen.check`, renders through `promgen.produce` and writes
through `promgen.write`; nothing below it prints or exits."""
