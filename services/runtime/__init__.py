"""The running emulator: one ``Dienst`` per MAGDA contract (the checks in MAGDA's order
and the answer), reply templates, injected faults, the journal and the store that
``serve``'s workers and replicas share."""
