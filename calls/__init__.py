"""Video calls: WebRTC signaling consumers, waiting room, presence, ICE/TURN, call log."""
