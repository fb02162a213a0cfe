"""Model layer: the request/response types and the protocol every backend implements."""
