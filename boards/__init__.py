"""Ember: boards."""
