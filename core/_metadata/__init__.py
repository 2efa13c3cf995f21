"""Torch-free declarations plugins make: specs, configs and their fields, recipes, capabilities, DataRequest."""
