"""The data model: canonical schemas, validation, zoning and privacy (no I/O)."""
