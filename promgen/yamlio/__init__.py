"""All YAML I/O, in two rooms: `reader` loads specs with the position of every value, `writer`
dumps generated files deterministically. Nothing else in promgen parses or emits YAML."""
