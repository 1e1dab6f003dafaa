"""Webhook use cases: endpoints, secrets, publishing, test events, retries and replays."""
