"""Task layer: the task YAML schema, loading it, its dataset, prompts, and the requests it makes."""
