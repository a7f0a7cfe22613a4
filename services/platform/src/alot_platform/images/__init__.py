"""Product images: uploads checked, re-encoded without metadata, stored as renditions."""
