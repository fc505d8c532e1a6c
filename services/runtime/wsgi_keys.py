"""Keys in the WSGI environ through which the layers of one request talk to each other."""

# The journal note of the call (journal.CallRecord), filled by the service or REST view.
RECORD_KEY = "magda_kbi.record"
# An injected 99996 or SOAP Fault for the service to produce (faults.Soort).
FAULT_KEY = "magda_kbi.fault"
# The client socket where the server offers one (the pytest plugin's werkzeug server; gunicorn
# has its own "gunicorn.socket"), so that an injected "drop" fault can cut the connection.
SOCKET_KEY = "magda_kbi.socket"
