"""stdpnet: unsupervised STDP learning and audio-visual learning in spiking
networks on Brian2, with a Torch path for supervised deep SNNs.

The folders follow an experiment's data flow: ``spec`` (TOML) -> ``data``
-> ``model`` (Brian2 equations) -> ``engine`` (compiled runs) ->
``readout`` -> ``experiments``; ``deep`` is the Torch path. The command
line is ``stdpnet.cli``; docs/architecture.md maps every module.
"""
