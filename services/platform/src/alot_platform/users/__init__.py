"""Users: accounts, roles and personal data (the `users` table and `/api/users`)."""
