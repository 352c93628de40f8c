"""The network model: neuron and plasticity equations (Brian2 strings with
units), the integrator, the in-network presentation schedule, one ensemble,
the cross-modal network, and pruning/quantisation of the input synapses."""
