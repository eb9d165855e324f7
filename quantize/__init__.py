"""Ember: quantize."""
