"""Media: what kind an asset is, and (as they come) how each kind is read for a model."""
