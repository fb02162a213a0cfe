"""Hydra configs: the primary config and the model group."""
