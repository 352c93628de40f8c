"""Data: loaders with integrity checks (mnist, caltech, fsdd, synth, ti46,
sphere, audio), audio features, noise models, and ``load`` (what the engine
reads: ``load_dataset`` and the encoders)."""
