"""Hooks: BaseHook (connections by id) and the map from a connection type to the hook that serves it."""
