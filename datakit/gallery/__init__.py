"""See the dataset: samples' boxes drawn on their images, and an offline HTML gallery.

``run.write_preview`` is the entry point. Pillow loads only inside the functions that draw.
"""
