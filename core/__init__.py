"""The shared kernel every app may use: API errors, structured logging, environment parsing, pagination,
the read-replica helper, idempotent data loading. It imports no app, and no app imports config/."""
