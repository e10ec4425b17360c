"""Model output: the shapes a prediction can have (shapes.py), how one becomes the shape of the
tool its class is mapped to (conversions.py: where a mask becomes a polygon), the import
geometry of each tool (geometry.py), and a model's answer checked and turned into one asset's
import item (prelabels.py)."""
