"""What a site may see, a page at a time (DESIGN §4).

A site sees: rows addressed to it (payload ``to_site_id``); a village also sees its township's
reference data (``REFERENCE_TABLES``: the catalog and its prices, policy files, sites and stores) that
is not addressed to another site, never the township's own stock, users or work; a township sees every
row of its villages. A site never gets its own rows back (the echo of its push), and a village never
sees another village's rows.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, and_, func, or_, select

from app.sync import protocol as p

from . import tables as t
from .service import SiteRow

_c = t.changelog.c

#: the township's tables its villages read (DESIGN §4: written only by the township, read by the others)
REFERENCE_TABLES = ("drugs", "policies", "sites", "stores")


def visible(site: SiteRow):
    """The changelog condition of what ``site`` may see, its own rows excluded."""
    addressed = _c.to_site_id == site.site_id
    if site.kind == "township":
        seen = or_(_c.township_site_id == site.site_id, addressed)
    else:
        township = and_(_c.owner_site_id == (site.township_site_id or ""), _c.table_name.in_(REFERENCE_TABLES),
                        or_(_c.to_site_id.is_(None), addressed))
        seen = or_(township, addressed)
    return and_(_c.owner_site_id != site.site_id, seen)


_COLUMNS = (_c.seq, _c.table_name, _c.record_id, _c.owner_site_id, _c.tx_id, _c.schema_version, _c.payload)


def page(conn: Connection, site: SiteRow, cursor: int, limit: int) -> p.PullResponse:
    """The visible changes after ``cursor``: at most ``limit``, ending on a transaction boundary.

    A transaction bigger than ``limit`` comes whole, alone in its page.
    """
    rows = conn.execute(select(*_COLUMNS).where(_c.seq > cursor, visible(site)).order_by(_c.seq)
                        .limit(limit + 1)).all()
    more = len(rows) > limit
    if more:
        cut = rows[limit].tx_id
        rows = rows[:limit]
        while rows and rows[-1].tx_id == cut:
            rows.pop()
        if not rows:  # one transaction bigger than a page: send it whole
            rows = conn.execute(select(*_COLUMNS).where(_c.seq > cursor, _c.tx_id == cut, visible(site))
                                .order_by(_c.seq)).all()
    changes = [p.Change(seq=r.seq, table_name=r.table_name, record_id=r.record_id, owner_site_id=r.owner_site_id,
                        tx_id=r.tx_id, schema_version=r.schema_version, payload=json.loads(r.payload)) for r in rows]
    if more:
        more = conn.execute(select(_c.seq).where(_c.seq > changes[-1].seq, visible(site)).limit(1)).first() is not None
    last = changes[-1].seq if changes else cursor
    # an upper bound, read from the seq index alone: counting what the site may see would read every row
    latest = (conn.execute(select(func.max(_c.seq))).scalar() or 0) if more else last
    return p.PullResponse(changes=changes, cursor=last, more=more, remaining=max(latest - last, 0))
