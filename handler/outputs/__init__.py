"""Model output: the shapes a prediction can have (shapes.py), how one becomes the shape of the
tool its class is mapped to (conversions.py: where a mask becomes a polygon), and the import
geometry of each tool (geometry.py)."""
