"""Built-in models. Each module ends with `create = <ModelClass>`."""
