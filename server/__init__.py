"""The reserver HTTP server (FastAPI): a thin layer over the core."""
