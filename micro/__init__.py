"""Ember: micro."""
