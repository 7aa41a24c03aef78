"""File input and output: every reader and writer of the package lives here or in the
source-specific importers (:mod:`proximite.inventory`, :mod:`proximite.network`);
computation modules take and return in-memory data only."""
