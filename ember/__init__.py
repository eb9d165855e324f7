"""Ember: convert, quantise and run TFLite-format models on CPUs and microcontrollers."""
__version__ = "0.1.0"
