"""All SQL of the webhooks domain, one module per concept: ``endpoints`` (endpoints and their
sealed secrets), ``events`` (events, the outbox fan-out, deliveries and attempts as the portal
reads them) and ``dispatch`` (what delivery workers claim, lease, record and complete)."""
