"""Ingestion: read source files, validate, quarantine, pseudonymise and load `raw.*`."""
