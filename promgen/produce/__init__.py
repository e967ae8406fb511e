"""Producers: derive data for one output, lay it out with its templates, return an `Output`."""
