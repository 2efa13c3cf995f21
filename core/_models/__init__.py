"""The torch-side model interfaces: Model and Phase, Loss and GANLoss, and helpers models share."""
