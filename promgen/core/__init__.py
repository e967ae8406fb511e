"""The vocabulary every stage shares: the resolved per-service `Model` and the `Stack` above it,
every generated name (conventions), the target versions and what they support, the burn-rate
windows and the alert templates."""
