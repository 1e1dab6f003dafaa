#!/usr/bin/env python3
"""Verify a Portico NDJSON audit export offline (Python 3.10+, standard library only).

Usage:
    python3 scripts/verify_audit_export.py EXPORT.ndjson [--key-file FILE | --key HEX]

The digests are HMAC-SHA256 under the deployment's audit chain key, so recomputing them needs
that key. Give it as hex (``portal audit chain-key`` prints it) with ``--key``, ``--key-file``
or the ``PORTAL_AUDIT_CHAIN_KEY`` environment variable, or set ``PORTAL_SECRET_KEY`` (the
server secret) and the key is derived from it. Keep the key as secret as the server secret:
whoever holds it could write a chain that verifies.

What is checked, line by line (lines are numbered from 1):
- every event line holds exactly the fields its digest covers, plus ``digest``; the digest is
  recomputed over them (canonical JSON: sorted keys, no spaces, UTF-8) and must match;
- in an unfiltered export each event follows the previous one (``seq`` + 1) and its
  ``prev_digest`` is the previous line's ``digest``, so a removed or reordered line is found;
  an export filtered by action or actor has gaps by design and only its digests and summary
  are checked (the output says so);
- the last line is the export's summary, signed with the same key: the number of events, the
  first and last ``seq``, the last digest and a hash of every digest must match the lines, so
  a removed last line or a truncated file is found too.

A range export starts mid-chain: the first line's ``prev_digest`` (the digest of the event
before the range) cannot be checked from the file and is taken as given; the output says so.

Exit status: 0 when the export is intact; 1 when it is not (the first broken line is named
with its number); 2 when the file or the key cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path
from typing import Any

# What each event's digest covers (app/audit/chain.py: DIGESTED_FIELDS and created_at).
DIGESTED_FIELDS = (
    "id",
    "chain",
    "seq",
    "entity_id",
    "actor_user_id",
    "actor_email",
    "impersonator_user_id",
    "impersonator_email",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
    "prev_digest",
    "created_at",
)
SUMMARY_KIND = "portico.audit_export.v1"
GENESIS = "0" * 64


class Broken(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def sign(key: bytes, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def load_key(args: argparse.Namespace) -> bytes:
    if args.key_file:
        text = Path(args.key_file).read_text().strip()
    elif args.key:
        text = args.key.strip()
    elif os.environ.get("PORTAL_AUDIT_CHAIN_KEY"):
        text = os.environ["PORTAL_AUDIT_CHAIN_KEY"].strip()
    elif os.environ.get("PORTAL_SECRET_KEY"):
        secret = os.environ["PORTAL_SECRET_KEY"].encode()
        return hmac.new(secret, b"audit-chain", hashlib.sha256).digest()
    else:
        raise ValueError(
            "no key: pass --key-file or --key (hex, from `portal audit chain-key`), or set "
            "PORTAL_AUDIT_CHAIN_KEY or PORTAL_SECRET_KEY"
        )
    key = bytes.fromhex(text)
    if len(key) != 32:
        raise ValueError("the audit chain key is 32 bytes (64 hex digits)")
    return key


def verify(lines: list[bytes], key: bytes) -> list[str]:
    """The report of an intact export; raises Broken naming the first broken line."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if not lines:
        raise Broken(1, "the file is empty: no summary line (truncated, or not an audit export)")
    parsed: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Broken(number, f"not a JSON object ({exc})") from None
        if not isinstance(value, dict):
            raise Broken(number, "not a JSON object")
        parsed.append(value)

    last_number = len(parsed)
    tail = parsed[-1]
    if "summary" not in tail:
        raise Broken(
            last_number,
            "the last line is not the export's summary: lines were removed at the end "
            "(or the file is truncated)",
        )
    summary = tail["summary"]
    if not isinstance(summary, dict) or summary.get("kind") != SUMMARY_KIND:
        raise Broken(last_number, "not a summary of a Portico audit export")
    if not hmac.compare_digest(sign(key, summary), str(tail.get("signature", ""))):
        raise Broken(
            last_number, "the summary does not match its signature (altered, or wrong key)"
        )
    filtered = bool(summary.get("filtered"))

    events = parsed[:-1]
    previous: dict[str, Any] | None = None
    digests = hashlib.sha256()
    for number, event in enumerate(events, start=1):
        if "summary" in event:
            raise Broken(number, "a summary line before the end of the file")
        expected = set(DIGESTED_FIELDS) | {"digest"}
        if set(event) != expected:
            extra = sorted(set(event) - expected)
            missing = sorted(expected - set(event))
            raise Broken(number, f"unexpected fields {extra}, missing fields {missing}")
        content = {name: event[name] for name in DIGESTED_FIELDS}
        if not hmac.compare_digest(sign(key, content), str(event["digest"])):
            raise Broken(number, f"content does not match its digest (altered), seq {event['seq']}")
        if event["chain"] != summary.get("chain"):
            raise Broken(number, "an event of another chain")
        if previous is not None:
            if not filtered and event["seq"] != previous["seq"] + 1:
                raise Broken(
                    number,
                    f"expected seq {previous['seq'] + 1}, found {event['seq']}: "
                    "lines were removed before this one",
                )
            if event["seq"] <= previous["seq"]:
                raise Broken(number, "out of order (seq does not increase)")
            if not filtered and event["prev_digest"] != previous["digest"]:
                raise Broken(number, "does not link to the previous line's digest")
        digests.update(str(event["digest"]).encode())
        previous = event

    first = events[0] if events else None
    last_seq = previous["seq"] if previous else None
    start_checks = (
        ("first_seq", first["seq"] if first else None, "first seq"),
        ("first_prev_digest", first["prev_digest"] if first else None, "first previous digest"),
    )
    for name, found, label in start_checks:
        if summary.get(name) != found:
            raise Broken(
                1,
                f"the export's first lines were removed (summary {label}: "
                f"{summary.get(name)!r}, found {found!r})",
            )
    if summary.get("last_seq") != last_seq or summary.get("last_digest") != (
        previous["digest"] if previous else None
    ):
        raise Broken(
            last_number,
            f"the export's last event (seq {summary.get('last_seq')}) is missing "
            f"(the last line before the summary has seq {last_seq})",
        )
    end_checks = (
        ("count", len(events), "events"),
        ("digests_sha256", digests.hexdigest(), "hash of the digests"),
    )
    for name, found, label in end_checks:
        if summary.get(name) != found:
            raise Broken(
                last_number,
                f"lines were removed or replaced (summary {label}: "
                f"{summary.get(name)!r}, found {found!r})",
            )

    report = [
        f"OK: {len(events)} events of chain {summary.get('chain')} "
        f"from {summary.get('from')} to {summary.get('to')} (export {summary.get('export_id')})"
    ]
    if first is not None:
        if first["prev_digest"] == GENESIS:
            report.append("line 1 is the first event of the chain (its previous digest is genesis)")
        else:
            report.append(
                f"the export starts mid-chain at seq {first['seq']}: line 1's previous digest "
                f"{first['prev_digest']} is taken as given"
            )
    if filtered:
        report.append(
            f"filtered export (action={summary.get('action')!r}, "
            f"actor={summary.get('actor_user_id')!r}): every digest and the summary were "
            "checked; links between lines were not (the filter leaves gaps)"
        )
    else:
        report.append("every digest and every link between consecutive lines checked")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify a Portico NDJSON audit export offline (exit 0 when intact)."
    )
    parser.add_argument("export", help="the .ndjson file downloaded from the portal")
    parser.add_argument("--key-file", help="a file holding the audit chain key in hex")
    parser.add_argument("--key", help="the audit chain key in hex")
    args = parser.parse_args(argv)
    try:
        key = load_key(args)
        lines = Path(args.export).read_bytes().split(b"\n")
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        report = verify(lines, key)
    except Broken as broken:
        print(f"BROKEN: first broken line {broken.line}: {broken.reason}")
        return 1
    for line in report:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
