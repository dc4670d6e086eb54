"""What a site may see, a page at a time (DESIGN §4).

A site sees: rows addressed to it (payload ``to_site_id``); a village also sees its township's
reference data (``REFERENCE_TABLES``: the catalog and its prices, policy files, sites and stores) that
is not addressed to another site, never the township's own stock, users or work; a township sees every
row of its villages. A site never gets its own rows back (the echo of its push), and a village never
sees another village's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from json.encoder import encode_basestring as _quote
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, union

from . import tables as t
from .service import SiteRow

_c = t.changelog.c

#: the township's tables its villages read (DESIGN §4: written only by the township, read by the others)
REFERENCE_TABLES = ("drugs", "policies", "sites", "stores")


def _branches(site: SiteRow) -> tuple[Any, Any]:
    """The two ways a change is visible to ``site`` (its own rows aside), each read along its own index."""
    addressed = _c.to_site_id == site.site_id
    if site.kind == "township":
        return _c.township_site_id == site.site_id, addressed
    township = and_(_c.owner_site_id == (site.township_site_id or ""), _c.table_name.in_(REFERENCE_TABLES),
                    or_(_c.to_site_id.is_(None), addressed))
    return township, addressed


def visible(site: SiteRow):
    """The changelog condition of what ``site`` may see, its own rows excluded."""
    return and_(_c.owner_site_id != site.site_id, or_(*_branches(site)))


def _first_seqs(site: SiteRow, cursor: int, limit: int):
    """The seqs of the first ``limit`` visible changes after ``cursor``, as a subquery.

    Each branch of the visibility rule is read in seq order along its own index and stops at ``limit``;
    the two short lists are then merged. (One query with the OR has the database gather and sort every
    visible change after the cursor, for every page: a long backlog would be read again page after page.)
    """
    firsts = [select(_c.seq).where(_c.seq > cursor, _c.owner_site_id != site.site_id, branch)
              .order_by(_c.seq).limit(limit).subquery() for branch in _branches(site)]
    merged = union(*(select(first.c.seq) for first in firsts)).subquery()
    return select(merged.c.seq).order_by(merged.c.seq).limit(limit)


_COLUMNS = (_c.seq, _c.table_name, _c.record_id, _c.owner_site_id, _c.tx_id, _c.schema_version, _c.payload)


@dataclass(frozen=True)
class Page:
    """A page of changes as the hub stores them: each payload is the changelog's JSON text, sent as it is."""

    rows: list[Any]
    cursor: int
    more: bool
    remaining: int

    def json(self) -> bytes:
        """The page as the JSON of a :class:`~app.sync.protocol.PullResponse` (no decode and encode per payload)."""
        changes = ",".join(
            f'{{"seq":{int(r.seq)},"table_name":{_quote(r.table_name)},"record_id":{_quote(r.record_id)},'
            f'"owner_site_id":{_quote(r.owner_site_id)},"tx_id":{_quote(r.tx_id)},'
            f'"schema_version":{int(r.schema_version)},"payload":{r.payload}}}' for r in self.rows)
        more = "true" if self.more else "false"
        return (f'{{"changes":[{changes}],"cursor":{int(self.cursor)},"more":{more},'
                f'"remaining":{int(self.remaining)}}}').encode("utf-8")


def page(conn: Connection, site: SiteRow, cursor: int, limit: int) -> Page:
    """The visible changes after ``cursor``: at most ``limit``, ending on a transaction boundary.

    A transaction bigger than ``limit`` comes whole, alone in its page.
    """
    rows = conn.execute(select(*_COLUMNS).where(_c.seq.in_(_first_seqs(site, cursor, limit + 1)))
                        .order_by(_c.seq)).all()
    more = len(rows) > limit
    if more:
        cut = rows[limit].tx_id
        rows = rows[:limit]
        while rows and rows[-1].tx_id == cut:
            rows.pop()
        if not rows:  # one transaction bigger than a page: send it whole
            rows = conn.execute(select(*_COLUMNS).where(_c.seq > cursor, _c.tx_id == cut, visible(site))
                                .order_by(_c.seq)).all()
    if more:
        more = conn.execute(_first_seqs(site, rows[-1].seq, 1)).first() is not None
    last = rows[-1].seq if rows else cursor
    # an upper bound, read from the seq index alone: counting what the site may see would read every row
    latest = (conn.execute(select(func.max(_c.seq))).scalar() or 0) if more else last
    return Page(rows=rows, cursor=last, more=more, remaining=max(latest - last, 0))
