"""The Qwen-VL (v1) target format: message grammar, box geometry, exact token accounting."""
