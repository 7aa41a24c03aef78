"""Service inventory: importers from each source into one schema, validation, dedup."""
