"""Dataset statistics: what every sample costs and holds, streamed, and the dataset's summary.

``collect.collect_stats`` reads dataset files once (in parallel for large files), turns every
record into ``sample.SampleFacts`` and folds them into ``summary.DatasetStats``;
``parquet.SampleTableWriter`` writes one row per sample. Nothing here imports pandas, pyarrow or
the tokenizer at module level.
"""
