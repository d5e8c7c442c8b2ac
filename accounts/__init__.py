"""Users, roles, phone + one-time-code login and staff login."""
