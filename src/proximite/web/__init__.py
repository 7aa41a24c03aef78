"""The public géoportail: a FastAPI application over the diagnostic outputs."""
