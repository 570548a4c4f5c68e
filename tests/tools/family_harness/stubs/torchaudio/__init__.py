"""Stand-in: LLaMA-Factory imports torchaudio at module level but only its audio paths use it,
and no torchaudio build matches the pinned torch."""
