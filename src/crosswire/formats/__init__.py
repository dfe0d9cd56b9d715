"""Wire formats: one package per API, pure (no network). Each decodes and encodes requests,
responses and streams to and from the canonical model."""
