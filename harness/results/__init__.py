"""Results layer: the results.json schema, samples.jsonl, atomic writing and secret scrubbing."""
