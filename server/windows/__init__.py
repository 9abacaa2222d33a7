"""windows domain."""
