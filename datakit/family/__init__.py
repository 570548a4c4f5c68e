"""The Qwen-VL family as one record model and many dialects.

``sample`` holds the neutral sample every reader produces and every writer consumes;
``profiles`` holds what differs between models (special tokens, image token cost, box
convention) and between the frameworks that train them (record layout, template, truncation).
"""
