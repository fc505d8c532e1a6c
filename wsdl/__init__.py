"""The WSDL and XSD contracts of the emulated MAGDA services (package data)."""
