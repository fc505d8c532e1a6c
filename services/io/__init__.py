"""Files in and out: the persona fixtures loader, the consumers file, generated
populations, and the lists' export formats."""
