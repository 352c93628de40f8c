"""What the commands do: train and evaluate an ensemble, the audio-visual
phases and readout, noise robustness, and sweeps."""
