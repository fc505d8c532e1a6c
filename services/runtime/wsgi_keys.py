"""Keys in the WSGI environ through which the layers of one request talk to each other."""

# What the journal says of the call (journal.Call), set once by whoever decides the answer.
CALL_KEY = "magda_kbi.call"
# The request body as read (bytes), for the journal entry.
BODY_KEY = "magda_kbi.body"
# The latency an injected fault added (ms), for the journal entry.
INJECTED_LATENCY_KEY = "magda_kbi.injected_latency_ms"
# An injected 99996 or SOAP Fault for the service to produce (faults.FaultKind).
FAULT_KEY = "magda_kbi.fault"
# The client socket where the server offers one (the pytest plugin's werkzeug server; gunicorn
# has its own "gunicorn.socket"), so that an injected "drop" fault can cut the connection.
SOCKET_KEY = "magda_kbi.socket"
