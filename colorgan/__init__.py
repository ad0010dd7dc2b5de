"""colorgan: automatic image colorization with conditional GANs and classic baselines."""

__version__ = "0.1.0"
