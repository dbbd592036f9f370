"""The metadata-filter flags shared by ``qa search``, ``qa ask`` and ``qa eval``."""

from __future__ import annotations

import argparse

from qa.types import Filters, parse_day


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("filters (repeat a flag to allow several values)")
    g.add_argument("--origin", action="append", default=[], help="origin contains this, e.g. 'Phnom Penh'")
    g.add_argument("--tag", action="append", default=[], help="cable TAG, e.g. PHUM")
    g.add_argument("--classification", action="append", default=[], help="e.g. CONFIDENTIAL")
    g.add_argument("--since", help="created on or after YYYY-MM-DD")
    g.add_argument("--until", help="created on or before YYYY-MM-DD")
    g.add_argument("--doc", action="append", default=[], help="document id, e.g. 06PHNOMPENH657")


def filters_from_args(args: argparse.Namespace) -> Filters:
    return Filters(
        origin=list(args.origin),
        tag=list(args.tag),
        classification=list(args.classification),
        since=parse_day(args.since, "--since"),
        until=parse_day(args.until, "--until"),
        doc=list(args.doc),
    )
