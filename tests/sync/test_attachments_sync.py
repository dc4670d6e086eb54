"""Case attachments across a real hub (SQLite and PostgreSQL): the file travels content-addressed before
the row that names it, in chunks that resume after an interruption; the township fetches a village's
files after a pull (and when a case worker opens one that is missing), a village the township's; a file
arrives byte-identical (SHA-256 checked); a village never fetches another village's file; the hub
refuses an attachment row whose file it does not hold, and a file whose bytes are not its hash."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from fault_transport import FaultTransport
from hub_harness import HubProcess
from PIL import Image
from site_harness import PASSWORD, SiteFolder, id_number, joined

from app.db.uow import Database
from app.domain.enums import CaseType
from app.domain.ids import new_id
from app.services.cases.types import CaseForm
from app.services.residents.types import EnrollmentRecord, ResidentForm
from app.sync import protocol as p
from app.sync.client import SyncClient
from app.sync.transport import HubRefused, SyncError


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _blob(site: SiteFolder, sha: str) -> Path:
    return site.data / "attachments" / sha[:2] / sha


def _hub_blob(hub: HubProcess, sha: str) -> Path:
    return hub.home / "blobs" / sha[:2] / sha


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD, encoding="utf-8")
    return path


@pytest.fixture
def world(hub: HubProcess, tmp_path: Path, password_file: Path) -> SimpleNamespace:
    """A township with villages 东村 and 西村 joined through ``cunyi init --code``, and a case opened at 东村."""
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "township", password_file)
    east = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "east", password_file)
    west = joined(hub.add_site("village", f"西村{tag}", township_id)[1], tmp_path / "west", password_file)
    number = id_number(f"19{int(tag, 16) % 60 + 30}0{int(tag, 16) % 9 + 1}15", "251")
    with east.services() as sv:
        resident = sv.residents.create(ResidentForm(id_number=number, name="李桂兰", address="示例村3组",
                                                    enrollments=(EnrollmentRecord(2026, date(2025, 11, 15)),)))
        case_id = sv.cases.open(CaseForm(resident.resident.id, CaseType.MANUAL_REIMBURSEMENT)).case_id
    return SimpleNamespace(township=township, east=east, west=west, case_id=case_id, tmp=tmp_path)


def _noisy_photo(path: Path, size: tuple[int, int]) -> Path:
    """A photo that does not compress to nothing (random pixels), turned on its side by its EXIF."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def _pdf(path: Path, size: int) -> Path:
    path.write_bytes(b"%PDF-1.4\n" + os.urandom(size))
    return path


def test_attachments_travel_both_ways_byte_identical(hub: HubProcess, world) -> None:
    town, east, west = world.township, world.east, world.west
    photo = _noisy_photo(world.tmp / "发票.jpg", (3000, 2400))
    with east.services() as sv:
        shot = sv.cases.add_attachment(world.case_id, photo)
    stored = _blob(east, shot.sha256).read_bytes()
    assert _sha(stored) == shot.sha256 and len(stored) > p.BLOB_CHUNK_BYTES  # several chunks
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (1600, 2000)  # upright, its long side shrunk to 2000 px
    east.sync()
    assert _hub_blob(hub, shot.sha256).read_bytes() == stored
    town.sync()  # the row, and the file fetched ahead of time
    assert _blob(town, shot.sha256).read_bytes() == stored
    with town.services() as sv:
        listed = sv.cases.attachments(world.case_id)
        assert [(a.attachment_id, a.present, a.site_id) for a in listed] == [(shot.attachment_id, True, east.site_id)]
        # the township's own scan of the decision goes to the village
        decision = sv.cases.add_attachment(world.case_id, _pdf(world.tmp / "审批表.pdf", 200_000))
    town.sync()
    east.sync()
    assert _sha(_blob(east, decision.sha256).read_bytes()) == decision.sha256
    assert _blob(east, decision.sha256).read_bytes() == (world.tmp / "审批表.pdf").read_bytes()
    assert east.sql("SELECT owner_site_id, to_site_id FROM case_attachments WHERE id = ?", decision.attachment_id) \
        == [(town.site_id, east.site_id)]
    # a case worker opens a file that is not here (fetched on opening)
    _blob(town, shot.sha256).unlink()
    with town.services() as sv:
        assert not sv.cases.attachments(world.case_id)[0].present
        assert sv.cases.open_attachment(shot.attachment_id).read_bytes() == stored
    # the other village sees neither row nor file, and may not fetch them
    west.sync()
    assert west.sql("SELECT count(*) FROM case_attachments") == [(0,)]
    client = SyncClient(Database(west.data / "cunyi.db"), retry_seconds=0)
    try:
        for attachment_id in (shot.attachment_id, decision.attachment_id, new_id()):
            with pytest.raises(HubRefused, match="本站不能查看") as refused:
                client.fetch_file(attachment_id)
            assert refused.value.status == 404
    finally:
        client.close()
        client.db.dispose()
    assert not (west.data / "attachments").exists() or not any((west.data / "attachments").rglob("*"))
    for site in (east, town, west):
        site.check()
        assert site.pending() == 0


def test_an_interrupted_upload_resumes_where_the_hub_stopped(hub: HubProcess, world) -> None:
    east, town = world.east, world.township
    scan = _pdf(world.tmp / "住院清单.pdf", 3 * p.BLOB_CHUNK_BYTES + 1000)
    with east.services() as sv:
        info = sv.cases.add_attachment(world.case_id, scan)
    db = Database(east.data / "cunyi.db")
    try:
        # the line drops at the third chunk: the sync stops, nothing of the case reaches the hub's records
        cut = FaultTransport({("put", 3): "drop_request"})
        client = SyncClient(db, retry_seconds=0, wrap=cut.wrap)
        with pytest.raises(SyncError):
            client.sync_once()
        client.close()
        assert east.pending() > 0 and not _hub_blob(hub, info.sha256).exists()
        # the answer to a chunk is lost once: the chunk arrived, the client carries on from what the hub holds
        watch = FaultTransport({("put", 1): "drop_response"})
        client = SyncClient(db, wrap=watch.wrap, sleep=lambda _s: None)
        client.sync_once()
        client.close()
    finally:
        db.dispose()
    offsets = [s.body["offset"] for s in watch.log if s.path == "put"]
    assert offsets[0] == 2 * p.BLOB_CHUNK_BYTES  # resumed after the two chunks the hub held
    assert offsets == [2 * p.BLOB_CHUNK_BYTES, 2 * p.BLOB_CHUNK_BYTES, 3 * p.BLOB_CHUNK_BYTES]
    assert [s.body["offset"] for s in cut.log if s.path == "put"] == [0, p.BLOB_CHUNK_BYTES, 2 * p.BLOB_CHUNK_BYTES]
    assert _hub_blob(hub, info.sha256).read_bytes() == scan.read_bytes()
    assert east.pending() == 0
    town.sync()
    assert _blob(town, info.sha256).read_bytes() == scan.read_bytes()
    assert not list((hub.home / "blobs" / "partial").glob("*"))


def test_the_hub_refuses_a_row_without_its_file_and_a_file_that_is_not_its_hash(hub: HubProcess, sites) -> None:
    a = sites.a
    data = os.urandom(5000)
    sha = _sha(data)
    tx = new_id()
    case = a.op("cases", tx_id=tx, site_id=a.site_id, case_no="BD20260615-0009", case_type="manual_reimbursement",
                accepted_on="2026-06-15", due_on="2026-07-27", collected="[]")
    row = a.op("case_attachments", tx_id=tx, case_id=case.record_id, sha256=sha, file_name="a.pdf",
               media_type="application/pdf", size=len(data), added_at="2026-06-15 09:00:00", user_name="医生")
    results = a.push([case, row]).results
    assert [r.status for r in results] == ["rejected", "rejected"]
    assert results[1].field == "sha256" and "附件记录所指的文件还没有上传" in results[1].reason
    # bytes that are not the file the name says: thrown away when the last chunk arrives
    forged = a.post(p.BLOB_PUT_PATH, a.envelope(sha256=sha, size=len(data), offset=0,
                                                 data=base64.b64encode(os.urandom(5000)).decode()))
    assert forged.status_code == 422 and "校验不符" in forged.json()["message"]
    assert not _hub_blob(hub, sha).exists()
    # a chunk not where the hub stopped is refused, saying where to go on
    first = a.post(p.BLOB_PUT_PATH, a.envelope(sha256=sha, size=len(data), offset=0,
                                                data=base64.b64encode(data[:1000]).decode()))
    assert first.status_code == 200 and first.json()["received"] == 1000
    skipped = a.post(p.BLOB_PUT_PATH, a.envelope(sha256=sha, size=len(data), offset=3000,
                                                  data=base64.b64encode(data[3000:]).decode()))
    assert skipped.status_code == 409 and "请从第 1000 字节接着上传" in skipped.json()["message"]
    rest = a.post(p.BLOB_PUT_PATH, a.envelope(sha256=sha, size=len(data), offset=1000,
                                               data=base64.b64encode(data[1000:]).decode()))
    assert rest.json() == {"sha256": sha, "size": len(data), "received": len(data), "complete": True}
    case2 = a.op("cases", tx_id=tx, site_id=a.site_id, case_no="BD20260615-0009", case_type="manual_reimbursement",
                 accepted_on="2026-06-15", due_on="2026-07-27", collected="[]", record_id=case.record_id)
    again = a.op("case_attachments", tx_id=tx, record_id=row.record_id, **{
        k: v for k, v in row.payload.items() if k not in ("id", "owner_site_id", "version", "created_at",
                                                         "updated_at")})
    assert [r.status for r in a.push([case2, again]).results] == ["applied", "applied"]
    # the township sees it; the other village may not fetch it
    got = sites.township.post(p.BLOB_GET_PATH, sites.township.envelope(attachment_id=row.record_id))
    assert got.status_code == 200 and base64.b64decode(got.json()["data"]) == data and got.json()["done"]
    other = sites.b.post(p.BLOB_GET_PATH, sites.b.envelope(attachment_id=row.record_id))
    assert other.status_code == 404 and "本站不能查看" in other.json()["message"]
