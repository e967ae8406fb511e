"""A render in parts: the forked workers that run an output's parts on every core (`workers`), and the
digest of what each part reads, which keys its reuse by the next render (`keys`)."""
