"""From spike counts to classes: label assignment and the Diehl & Cook vote
(``vote``), the Poisson likelihood readout and its calibration
(``likelihood``), and the rules that combine two ensembles (``combine``)."""
