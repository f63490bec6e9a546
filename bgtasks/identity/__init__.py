"""Identities: users and their roles, API tokens, browser sessions, and the audit log.

Secrets (passwords, tokens, session ids) are stored only as hashes. Users are never deleted, only
disabled, so the audit log and task owners keep naming someone real.
"""
