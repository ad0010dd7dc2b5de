"""The measurements behind ``python -m colorgan.benchmark``: each ``run(args, device)`` returns
``({path name: images/s}, settings)`` with the baseline last."""
