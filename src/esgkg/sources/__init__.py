"""Readers of the project's source files (CSV, YAML, Turtle) into rdflib graphs."""
