"""Interoperability with other evaluation frameworks (export of our tasks to lm-evaluation-harness)."""
