"""What a training run needs beyond the model: callbacks, loggers, resume and the safe checkpoint loader."""
