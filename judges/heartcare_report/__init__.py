"""Heartcare-Bench's 17-item report judge: ``rubric.yaml`` + templates, custom logic in :mod:`.rubric`."""
