"""Faster C++ loops for the standalone device: the same statements, in the same
order per variable, so the spikes and weights are bit for bit those of
Brian2's own templates.

* dense synapses: a ``Synapses`` object connected all-to-all with no delays
  (marked by ``stdpnet.model.ensemble.mark_dense``; synapse k joins source k // n_post to target
  k % n_post) reads its events straight from the spike space of the spiking
  group and loops over the other side by index, instead of pushing the
  indices of every synapse of every spike through a spike queue and
  gathering the target of each from ``_synaptic_post``: the loop over the
  targets of an input spike is contiguous and vectorised. Its per-slot
  operations (``run_regularly``) loop over (i, j) in the same order as
  Brian2's flat loop over k.
* thresholds: each block of 32 neurons is first tested with a vectorised
  loop; only a block where some neuron crosses its threshold (rare: most
  time steps have no spike) is scanned again to record the spikes in order.
* refractoriness: Brian2 tests ``timestep(t - lastspike, dt) >=
  timestep(refractory, dt)`` for every neuron at every step, a division and
  a conversion to an integer. For an integer k, ``int((x + dt/1000) / dt) >=
  k`` holds exactly when ``x >= (k - 1/1000) dt``: one comparison with a
  number computed once per step. ``t - lastspike`` is within far less than
  dt/1000 of a whole number of steps, so rounding cannot tell the two apart.
"""
from __future__ import annotations

import re

import numpy as np
from brian2 import prefs
from jinja2 import ChoiceLoader, DictLoader

from brian2.codegen.templates import Templater
from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject

from ..model.ensemble import DENSE_ATTRIBUTE

# one event loop for a 'pre' pathway (the targets of a source spike:
# contiguous synapses) and a 'post' pathway (the sources of a target spike:
# synapses n_post apart); the synapse index replaces the queue's
_DENSE_SYNAPSES = r"""
{% extends 'common_synapses.cpp' %}
{% block maincode %}
    // This is only needed for the _debugmsg function below
    {# USES_VARIABLES { _synaptic_pre } #}

    // scalar code
    const size_t _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    const int32_t* _dense_events = {{dense_eventspace}};
    const int32_t _dense_count = _dense_events[{{dense_n_events}}];
    if ({{_dynamic__synaptic_pre}}.size() != (size_t){{dense_n_pre}} * {{dense_n_post}}) {
        std::cerr << "{{codeobj_name}}: not an all-to-all synapse layout" << std::endl;
        exit(1);
    }
    for (int32_t _dense_event = 0; _dense_event < _dense_count; _dense_event++)
    {
        {% if dense_pre %}
        const size_t _i = _dense_events[_dense_event];
        for (size_t _j = 0; _j < {{dense_n_post}}; _j++)
        {% else %}
        const size_t _j = _dense_events[_dense_event];
        for (size_t _i = 0; _i < {{dense_n_pre}}; _i++)
        {% endif %}
        {
            const size_t _idx = _i * {{dense_n_post}} + _j;
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent|replace(dense_post ~ "[_idx]", "_j")|replace(dense_pre_ptr ~ "[_idx]", "_i")}}
        }
    }
{% endblock %}

{% block extra_functions_cpp %}
void _debugmsg_{{codeobj_name}}()
{
    using namespace brian;
    std::cout << "Number of synapses: " << {{_dynamic__synaptic_pre}}.size() << endl;
}
{% endblock %}

{% block extra_functions_h %}
void _debugmsg_{{codeobj_name}}();
{% endblock %}

{% macro main_finalise() -%}
#ifdef DEBUG
_debugmsg_{{codeobj_name}}();
#endif
{% endmacro %}
"""

# the spike queue of a dense pathway is never read: nothing to push
_DENSE_PUSH = r"""
{# USES_VARIABLES { _n_sources, _n_targets, delay, _source_dt} #}
{% extends 'common_group.cpp' %}
{% block maincode %}
{% endblock %}
"""

# (the loop of stdpnet_stateupdate.cpp, below, over (i, j) in Brian2's order)
_DENSE_STATEUPDATE = r"""
{# USES_VARIABLES { N } #}
{# ALLOWS_SCALAR_WRITE #}
{% extends 'stdpnet_stateupdate.cpp' %}
{% block loop %}
    if ((size_t)_N != (size_t){{dense_n_pre}} * {{dense_n_post}}) {
        std::cerr << "{{codeobj_name}}: not an all-to-all synapse layout" << std::endl;
        exit(1);
    }
    for (size_t _i = 0; _i < {{dense_n_pre}}; _i++)
    {
        for (size_t _j = 0; _j < {{dense_n_post}}; _j++)
        {
            const size_t _idx = _i * {{dense_n_post}} + _j;
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent|replace(dense_post ~ "[_idx]", "_j")|replace(dense_pre_ptr ~ "[_idx]", "_i")}}
        }
    }
{% endblock %}
"""

_THRESHOLD = r"""
{# USES_VARIABLES { N } #}
{% extends 'common_group.cpp' %}
{% block maincode %}
    //// MAIN CODE ////////////
    // scalar code
    const int _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {% set _eventspace = get_array_name(eventspace_variable) %}

    long _count = 0;
    for(size_t _block=0; _block<N; _block+=32)
    {
        const size_t _block_end = _block + 32 < N ? _block + 32 : N;
        char _any = 0;
        for(size_t _idx=_block; _idx<_block_end; _idx++)
        {
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent}}
            _any |= _cond;
        }
        if(!_any)
            continue;
        for(size_t _idx=_block; _idx<_block_end; _idx++)
        {
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent}}
            if(_cond) {
                {{_eventspace}}[_count++] = _idx;
                {% if _uses_refractory %}
                {{not_refractory}}[_idx] = false;
                {{lastspike}}[_idx] = {{t}};
                {% endif %}
            }
        }
    }
    {{_eventspace}}[N] = _count;
{% endblock %}

{% block after_code %}
{% set _eventspace = get_array_name(eventspace_variable) %}
{{_eventspace}}[N] = 0;  // Note that this is not an off-by-1-error: the array has N+1 elements
{% endblock %}
"""

# Brian2's own neuron state update, with the refractoriness test rewritten
_STATEUPDATE = r"""
{# USES_VARIABLES { N } #}
{# ALLOWS_SCALAR_WRITE #}
{% extends 'common_group.cpp' %}
{% block maincode %}
    //// MAIN CODE ////////////
    // scalar code
    const size_t _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    const int _N = {{constant_or_scalar('N', variables['N'])}};
    {% block loop %}
    for(int _idx=0; _idx<_N; _idx++)
    {
        const size_t _vectorisation_idx = _idx;
        {{vector_code|refractory_by_comparison|single_arithmetic(single_arithmetic)|autoindent}}
    }
    {% endblock %}
{% endblock %}
"""

def _joined(code) -> str:
    """Brian2 passes the lines of some code as a list."""
    return "\n".join(code) if isinstance(code, list) else code


_REFRACTORY_TEST = re.compile(r"_timestep\(t - lastspike, dt\) >= (\w+)")


def refractory_by_comparison(code: str) -> str:
    """``code`` with Brian2's refractoriness test made a comparison of times
    (see the module's docstring)."""
    return _REFRACTORY_TEST.sub(r"(t - lastspike) >= ((double)\1 - 1e-3) * dt", _joined(code))


_DOUBLE_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d*(?:[eE][-+]?\d+)?)(?![\w.])")
_DT = re.compile(r"\bdt\b")


def single_arithmetic(code: str, single: bool) -> str:
    """In single precision, ``code`` (a neuron state update) computed in
    float: Brian2 writes the time step (a double) and number literals such
    as ``1.0`` into the update, and each promotes the whole expression to
    double, so every vector instruction handles half as many neurons and
    converts back and forth. The refractoriness test, on the times of the
    clock, stays in double."""
    if not single:
        return code
    return "\n".join(line if "lastspike" in line else
                     _DT.sub("((float)dt)", _DOUBLE_LITERAL.sub(r"\1f", line))
                     for line in _joined(code).split("\n"))


TEMPLATES = {"stdpnet_dense_synapses.cpp": _DENSE_SYNAPSES,
             "stdpnet_stateupdate.cpp": _STATEUPDATE,
             "stdpnet_dense_push_spikes.cpp": _DENSE_PUSH,
             "stdpnet_dense_stateupdate.cpp": _DENSE_STATEUPDATE,
             "stdpnet_threshold.cpp": _THRESHOLD}


def _templater() -> Templater:
    base = CPPStandaloneCodeObject.templater
    templater = Templater(base.package_names, base.extension, env_globals=base.env_globals,
                          templates_dir=base.templates_dir)
    templater.env.loader = ChoiceLoader([DictLoader(TEMPLATES), templater.env.loader])
    templater.env.filters["refractory_by_comparison"] = refractory_by_comparison
    templater.env.filters["single_arithmetic"] = single_arithmetic
    return templater


class KernelCodeObject(CPPStandaloneCodeObject):
    """A standalone code object that also knows the templates above."""
    templater = _templater()


def kernel(device, owner, name: str, template_name: str, template_kwds: dict | None):
    """(template name, extra template keywords) of a faster loop for the code
    object ``name`` of ``owner`` (a group) with Brian2's template
    ``template_name`` (and keywords ``template_kwds``), or None."""
    if template_name == "threshold":
        return "stdpnet_threshold", {}
    pathway = (template_kwds or {}).get("pathway") if template_name == "synapses" else None
    if template_name == "synapses_push_spikes":
        pathway = owner
    synapses = pathway.synapses if pathway is not None else owner
    if not getattr(synapses, DENSE_ATTRIBUTE, False):
        if template_name != "stateupdate" or "lastspike" not in getattr(owner, "variables", {}):
            return None
        single = np.dtype(prefs.core.default_float_dtype) == np.float32 and "stateupdater" in name
        return "stdpnet_stateupdate", {"single_arithmetic": single}
    names = {"dense_n_pre": len(synapses.source), "dense_n_post": len(synapses.target),
             "dense_post": "_ptr" + device.get_array_name(synapses.variables["_synaptic_post"]),
             "dense_pre_ptr": "_ptr" + device.get_array_name(synapses.variables["_synaptic_pre"])}
    if template_name == "synapses_push_spikes":
        return "stdpnet_dense_push_spikes", {}
    if template_name == "synapses":
        events = pathway.source.variables[f"_{pathway.event}space"]
        return "stdpnet_dense_synapses", {
            **names, "dense_pre": pathway.prepost == "pre",
            "dense_eventspace": device.get_array_name(events), "dense_n_events": len(pathway.source)}
    if template_name == "stateupdate":
        return "stdpnet_dense_stateupdate", names
    return None
