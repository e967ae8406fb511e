"""promgen: one YAML spec per service in, a complete validated monitoring stack out."""

__version__ = "0.1.0"
