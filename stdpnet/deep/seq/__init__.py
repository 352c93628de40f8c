"""Sequences in the Torch path: LITE-SNN (temporal convolutions over LIF
layers, softmax attention over the spikes), a plain spiking recurrent
network, and LSTM / GRU / temporal-CNN baselines, trained by the same loop on
sequential MNIST, spoken digits and event streams, each with its cost.

Torch is imported by the submodules only.
"""
