"""HTTP views and Socket.IO handlers, one blueprint per area."""
