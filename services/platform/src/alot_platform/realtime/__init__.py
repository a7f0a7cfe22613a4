"""Live events (WebSockets) and the events that drive them and the caches."""
