"""Network specs: typed sections loaded from TOML and validated at the edge
(``ensemble``: one ensemble; ``multimodal``: the audio-visual network), and
the one TOML reader/writer (``toml``)."""
from .ensemble import (Compression, Connections, Data, Excitatory, Inhibitory, Input, Plasticity,
                       Schedule, Spec, dump_spec, load_spec, spec_from_dict)
from .multimodal import (Cross, MultimodalSpec, Pairs, Readout, dump_multimodal_spec,
                         is_multimodal, load_multimodal_spec)
from .toml import dump_toml, read_toml

__all__ = ["Compression", "Connections", "Data", "Excitatory", "Inhibitory", "Input", "Plasticity",
           "Schedule", "Spec", "dump_spec", "load_spec", "spec_from_dict", "Cross", "MultimodalSpec",
           "Pairs", "Readout", "dump_multimodal_spec", "is_multimodal", "load_multimodal_spec",
           "dump_toml", "read_toml"]
