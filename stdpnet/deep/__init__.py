"""The Torch path: supervised deep SNNs (conversion, hybrid STDB, DIET-SNN,
IIR-SNN down to one timestep, adversarial attacks, cost estimates).

Torch is imported by the submodules only, so ``import stdpnet`` stays light.
"""
