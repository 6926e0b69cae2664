"""reserver's core: models, booking rules and the Backend interface."""

__version__ = "0.1.0"
