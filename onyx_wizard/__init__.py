"""onyx-wizard: Onyx's Production Launch Checklist, walked through in a terminal."""

__version__ = "0.1.0"
