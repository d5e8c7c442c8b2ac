"""Cases, routing to reviewers, SLA deadlines and escalation, decisions."""
