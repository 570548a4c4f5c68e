"""Rule families, one module each. ``datakit.validation.registry`` lists them all explicitly."""
