"""Writing: chunked streaming, dataset configuration, atomic replacement, namespace hygiene."""
