"""Domain actions: the one place where chat rules live.

HTTP views, Socket.IO handlers, admin views and CLI commands parse their input,
then call one action from here. Actions validate, authorize (through
`actions.access`), write, and queue domain events (events.facts). They never commit:
the transport that called them owns the unit of work (events.unit_of_work).
"""
