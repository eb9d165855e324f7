"""Ember: schema."""
