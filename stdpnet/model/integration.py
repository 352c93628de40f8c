"""A cheap, unconditionally stable integrator for conductance-based LIF.

Forward Euler blows up when a synchronous inhibitory volley makes
``dt * (1 + ge + gi) / tau`` exceed 2 (two dozen inhibitory spikes at once
onto an excitatory neuron at dt = 0.5 ms:
v overshoots to absurd values and the whole layer fires), and exponential
Euler costs an ``exp`` per neuron and step. Each equation here is
conditionally linear, dx/dt = A x + B, so we take

    x <- x * exp(A dt) + (B / A) * (exp(A dt) - 1)   if A is a constant
                                                      (exact; Brian2 hoists it)
    x <- (x + dt B) / (1 - dt A)                      otherwise (linearly implicit Euler)

which is stable for any conductance and costs one division per neuron.

The linearly implicit step reads the conductances where the step starts. A
conductance that decays with ``tau`` then carries ``(dt/tau) / (1 - exp(-dt/tau))``
times the charge of the continuous model into ``v`` (1.27x for ``tau_ge`` = 1 ms
at ``dt`` = 0.5 ms). ``step_mean=True`` reads instead each exactly decaying
variable's mean over the step, ``x (1 - exp(-dt/tau)) / (dt/tau)``, so a
synaptic event carries the charge of the continuous model.
"""
from __future__ import annotations

import sympy as sp
from brian2.parsing.sympytools import sympy_to_str
from brian2.stateupdaters.base import (StateUpdateMethod, UnsupportedEquationsException,
                                       extract_method_options)
from brian2.stateupdaters.exponential_euler import get_conditionally_linear_system


class LinearlyImplicitEuler(StateUpdateMethod):
    def __init__(self, step_mean: bool = False):
        self.step_mean = step_mean

    def __call__(self, equations, variables=None, method_options=None):
        extract_method_options(method_options, {})
        if equations.is_stochastic:
            raise UnsupportedEquationsException("stochastic equations are not supported")
        try:
            system = get_conditionally_linear_system(equations, variables)
        except ValueError as exc:
            raise UnsupportedEquationsException(str(exc)) from exc
        state = set(equations.diff_eq_names) | {
            name for name, var in (variables or {}).items()
            if getattr(var, "scalar", True) is False and name not in ("t", "dt")}
        dt = sp.Symbol("dt")

        def exact(A):   # a coefficient free of state variables: solved exactly
            return A != 0 and not ({str(s) for s in sp.sympify(A).free_symbols} & state)
        # pure decays (dx/dt = A x) as the other equations read them: their mean over the step
        mean = {name: (sp.exp(A * dt) - 1) / (A * dt)
                for name, (A, B) in system.items() if self.step_mean and exact(A) and B == 0}

        def seen(expr):   # Brian2's symbols carry assumptions: matched by name
            expr = sp.sympify(expr)
            return expr.subs({s: s * mean[str(s)] for s in expr.free_symbols if str(s) in mean})
        code = []
        for name, (A, B) in system.items():
            x = sp.Symbol(name)
            if A == 0:
                new = x + dt * B
            elif exact(A):
                decay = sp.exp(A * dt)
                new = x * decay + (B / A) * (decay - 1) if B != 0 else x * decay
            else:
                A, B = seen(A), seen(B)
                new = (x + dt * B) / (1 - dt * A)
            code.append(f"_{name} = {sympy_to_str(new)}")
        code += [f"{name} = _{name}" for name in system]
        return "\n".join(code)


linearly_implicit_euler = LinearlyImplicitEuler()
step_mean_linearly_implicit_euler = LinearlyImplicitEuler(step_mean=True)
