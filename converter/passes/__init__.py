"""Passes over the converter IR. ``optimize`` runs the standard pipeline."""


def optimize(model):
    """The standard pipeline (grows with the passes; today: none)."""
    return model
