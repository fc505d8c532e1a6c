"""Keys in the WSGI environ through which the layers of one request talk to each other."""

# The journal note of the call (journaal.Aantekening), filled by the service or REST view.
AANTEKENING = "magda_kbi.aantekening"
# An injected 99996 or SOAP Fault for the service to produce (storingen.Soort).
STORING = "magda_kbi.storing"
# The client socket where the server offers one (the pytest plugin's werkzeug server; gunicorn
# has its own "gunicorn.socket"), so that an injected "drop" fault can cut the connection.
SOCKET = "magda_kbi.socket"
