"""Frontends: each lowers one source format into the converter IR."""
