"""GraphQL for request logs: logs, analytics, exports and the live tail."""
