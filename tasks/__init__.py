"""Task definitions (YAML data). Each file is one task or one group; see docs/tasks.md."""
