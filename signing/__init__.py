"""Seals, keys, certificates, signatures over decisions, the ledger, sealed letters, verification."""
