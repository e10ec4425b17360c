"""Runtimes that run a model file described by a spec file, so that a model needs no Python."""
