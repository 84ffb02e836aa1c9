"""The Textual wizard: a thin shell over the core (no logic lives in a screen)."""
