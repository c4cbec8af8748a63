"""Wire formats other than JSON (protobuf request bodies from kubectl)."""
