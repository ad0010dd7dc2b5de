"""A before/after colorization page in the browser (Gradio), and its API endpoint ``/colorize``.

    python -m colorgan.demo --ckpt RUN/checkpoints/last.ckpt [--ckpt OTHER.ckpt ...] [--host H] [--port P]

Colour uploads are converted to gray first (the network sees only L). The result is computed as
``colorize`` computes it: the net at the working size, the photo's own L at full resolution, and is
offered as a full-resolution PNG. Requests go through a queue that runs one at a time. Gradio is
imported only here, so training never needs it.
"""

from colorgan.demo.app import main, parse_args

__all__ = ["main", "parse_args"]
