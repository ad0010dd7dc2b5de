"""Models: plain nets (``nets``), GAN losses, and the LightningModules that train them."""
