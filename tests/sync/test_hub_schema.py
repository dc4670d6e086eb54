"""The hub's own tables: an older hub database is upgraded in place when the hub starts, and a village's
pull reads its township's reference data along an index, not every row the township owns."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from app.sync.hub import pull
from app.sync.hub import tables as t
from app.sync.hub.db import open_engine, transaction
from app.sync.hub.service import SiteRow

VILLAGE = SiteRow("village-1", "village", "东村", "township-1", None, 0, 0)


def _indexes(engine) -> set[str]:  # noqa: ANN001
    return {index["name"] for index in inspect(engine).get_indexes("changelog")}


def test_a_version_1_hub_database_gets_the_reference_index_and_keeps_its_rows(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with transaction(engine) as conn:  # the tables as version 1 made them
            t.create(conn)
            conn.execute(text("DROP INDEX ix_changelog_owner_table_seq"))
            conn.execute(text("CREATE INDEX ix_changelog_owner_seq ON changelog (owner_site_id, seq)"))
            conn.execute(t.hub_meta.update().values(value="1"))
            conn.execute(t.changelog.insert(), [{
                "seq": 1, "table_name": "drugs", "record_id": "d1", "owner_site_id": "township-1",
                "township_site_id": "township-1", "to_site_id": None, "tx_id": "x1", "schema_version": 1,
                "payload": "{}"}])
        with transaction(engine) as conn:
            t.check_version(conn)
        assert "ix_changelog_owner_table_seq" in _indexes(engine)
        assert "ix_changelog_owner_seq" not in _indexes(engine)
        with engine.connect() as conn:
            assert conn.execute(t.hub_meta.select()).all()[0].value == str(t.SCHEMA_VERSION)
            assert [r.record_id for r in pull.page(conn, VILLAGE, 0, 10).rows] == ["d1"]
    finally:
        engine.dispose()


def test_a_villages_pull_of_reference_data_searches_the_owner_and_table_index(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with transaction(engine) as conn:
            t.create(conn)
        with engine.connect() as conn:
            query = pull._first_seqs(VILLAGE, 0, 1001)
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = " | ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_changelog_owner_table_seq (owner_site_id=? AND table_name=? AND seq>?)" in plan, plan
        assert "ix_changelog_to_site_seq" in plan, plan
        assert "SCAN changelog" not in plan, plan
    finally:
        engine.dispose()


def test_no_push_or_pull_reads_a_whole_big_table(tmp_path: Path) -> None:
    """Every SELECT that a push and a pull run searches an index of changelog, records, applied_ops,
    rejected_ops and resident_ids: none scans the table (a township hub holds millions of rows, and a
    scan per page made a new village's first push take 10 s on the township-10y demo)."""
    from sqlalchemy import event
    from hub_harness import Site

    from app.domain.ids import new_id
    from app.sync import protocol as p
    from app.sync.hub.service import Hub

    engine = open_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with transaction(engine) as conn:
            t.create(conn)
        hub = Hub(engine)

        def enrolled(kind: str, name: str, township: str | None = None) -> Site:
            _, secret = hub.add_site(kind, name, township)
            instance = new_id()
            answer = hub.enroll(p.EnrollRequest(secret=secret, db_instance_id=instance))
            return Site(None, answer.site_id, answer.token, kind, name, township, instance)  # type: ignore[arg-type]

        town = enrolled("township", "乡镇")
        village = enrolled("village", "东村", town.site_id)
        seen: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, statement, params, _ctx, _many: seen.append((statement, params)))
        assert town.site_id and village.site_id
        hub.push(town.token, p.PushRequest.model_validate(town.push_body([town.op("drugs", generic_name="阿莫西林")])))
        tx = new_id()
        resident = village.op("residents", tx_id=tx, id_number="11010519491231002X", name="张三")
        visit = village.op("visits", tx_id=tx, resident_id=resident.record_id)
        hub.push(village.token, p.PushRequest.model_validate(village.push_body([resident, visit])))
        again = village.op("residents", record_id=resident.record_id, id_number="11010519491231002X", name="张三丰")
        hub.push(village.token, p.PushRequest.model_validate(village.push_body([again])))
        for site in (town, village):
            hub.pull(site.token, p.PullRequest.model_validate(site.envelope(cursor=0, limit=1000)))

        big = ("changelog", "records", "applied_ops", "rejected_ops", "resident_ids")
        selects = [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT")]
        assert any("records" in sql for sql, _ in selects) and any("changelog" in sql for sql, _ in selects)
        scans = []
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            for sql, params in selects:
                plan = [row[-1] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params or ())]
                scans += [(line, sql) for line in plan for name in big if line.startswith(f"SCAN {name}")]
        assert scans == []
    finally:
        engine.dispose()
