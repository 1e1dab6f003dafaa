"""All SQL of the webhooks domain (endpoints, secrets, events, the delivery outbox)."""
