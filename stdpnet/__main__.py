"""``python -m stdpnet ...``: the same commands as ``stdpnet ...``."""
from .cli import main

main(prog_name="stdpnet")
