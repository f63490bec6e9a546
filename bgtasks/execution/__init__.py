"""Running one task's container: the only package that talks to the Docker Engine."""
