"""The faces: the WSGI dispatcher and its direct lxml path, spyne, the REST and admin APIs
(Flask), the web console, the command line, the granian server and the pytest plugin."""
