"""Administration: user management for admins (every route requires the admin role)."""
