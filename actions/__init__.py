"""Domain actions: the one place where chat rules live.

HTTP views, Socket.IO handlers, admin views and CLI commands parse their input,
then call one action from here. Actions validate, authorize (through
`actions.access`), write, commit, and only then publish realtime events.
"""
