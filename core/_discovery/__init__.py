"""Finding, loading and registering plugins: entry points, hooks, the registry, the isolated probe, install/disable, new-plugin."""
