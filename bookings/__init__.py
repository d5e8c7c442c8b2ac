"""The service catalog, slots, bookings and their life cycle, uploaded materials."""
