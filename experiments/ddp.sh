#!/usr/bin/env bash
# One DDP run on all the GPUs of this machine (DEVICES=N to choose); add trainer.num_nodes=K under SLURM.
# data.batch_size is per device. On a CPU-only machine: DEVICES=2 experiments/ddp.sh trainer.accelerator=cpu
set -euo pipefail
python -m colorgan.train trainer=ddp trainer.devices="${DEVICES:-$(python -c 'import torch; print(max(torch.cuda.device_count(), 1))')}" "$@"
