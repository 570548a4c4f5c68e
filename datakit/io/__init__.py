"""Readers and writers: JSON arrays, JSON Lines and Parquet, streamed; atomic output."""
