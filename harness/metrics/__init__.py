"""Metric layer: the metric protocol and how per-sample values become task-level numbers."""
