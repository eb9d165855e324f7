"""Ember: interpreter."""
