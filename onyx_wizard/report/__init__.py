"""Output for people and machines: check results as text, JSON and JUnit XML."""
