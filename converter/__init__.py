"""Ember: converter."""
