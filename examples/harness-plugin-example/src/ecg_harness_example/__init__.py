"""An example ECG-Harness plugin package."""
