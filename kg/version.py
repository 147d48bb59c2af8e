"""kg's version, in a module of its own: the package and its modules (the fetch client's
User-Agent) read it without importing the package from inside it."""

__all__ = ["__version__"]

__version__ = "0.1.0"
