"""Portico: a self-hostable developer-portal backend."""
