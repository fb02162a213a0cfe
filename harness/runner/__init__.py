"""Runner layer: issuing requests concurrently, the response cache, and one task's evaluation."""
