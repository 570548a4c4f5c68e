"""Reporters: render a validation ``Report`` as text (rich), JSON or GitHub annotations."""
