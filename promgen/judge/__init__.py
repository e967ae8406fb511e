"""Checks that need no external binary: PromQL parsing, JSON Schemas, structural rules."""
