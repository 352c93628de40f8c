"""Running networks: the Brian2 devices and the compile cache, the simulators
that run chunks of presentations, and ``present`` (a whole sequence)."""
