"""Pages of the registry (台账): thin adapters over the registry's selectors and services."""
