"""Pure derivations: resolved model in, plain data (dicts, dataclasses) out. No I/O, no Jinja."""
