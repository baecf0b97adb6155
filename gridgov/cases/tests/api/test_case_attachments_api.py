"""POST /api/v1/cases/{id}/attachments and GET …/attachments/{att_id}: photos and documents go in through
attachment_add, come out only to users who may see the case."""

import io
import struct
import zlib

import pytest
from PIL import Image

from gridgov.cases.models import CaseAttachment
from gridgov.cases.tests.api.conftest import (
    API,
    act,
    assert_error,
    assert_field_error,
    assert_not_found,
    make_case,
)


def png(size=(640, 480), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, case, name: str, data: bytes, **fields):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"{API}/{case.pk}/attachments", {"file": file, **fields})


def test_photo_round_trip(territory, api_client):
    case = make_case(territory)
    client = api_client(territory.user("grid_a"))
    data = png()
    response = upload(client, case, "现场.png", data, phase="before")
    assert response.status_code == 201, response.content
    out = response.json()
    attachment = CaseAttachment.objects.get(pk=out["id"])
    assert (out["kind"], out["phase"], out["phase_label"], out["original_name"]) == (
        "photo",
        "before",
        "处置前",
        "现场.png",
    )
    assert (out["content_type"], out["size"], out["event_id"]) == ("image/png", len(data), None)
    assert out["url"] == f"{API}/{case.pk}/attachments/{attachment.pk}"
    assert out["thumbnail_url"] == f"{out['url']}?thumbnail=true"
    # The case shows it, and anyone who may see the case can fetch it.
    detail = client.get(f"{API}/{case.pk}").json()
    assert [a["id"] for a in detail["attachments"]] == [attachment.pk]
    for username in ("grid_a", "township_a", "leader", "supervisor"):
        got = api_client(territory.user(username)).get(out["url"])
        assert got.status_code == 200, username
        assert got["Content-Type"] == "image/png"
        assert got["Content-Disposition"].startswith("inline")
        assert b"".join(got.streaming_content) == data
    thumb = api_client(territory.user("grid_a")).get(out["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert max(image.size) <= 320


def test_document_downloads_as_an_attachment(territory, api_client):
    case = make_case(territory, "handling")
    client = api_client(territory.user("officer"))
    response = upload(client, case, "检测报告.pdf", PDF, phase="after")
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["kind"], out["content_type"], out["thumbnail_url"]) == ("document", "application/pdf", None)
    got = client.get(out["url"])
    assert got.status_code == 200
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"].startswith("attachment")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert b"".join(got.streaming_content) == PDF
    assert_not_found(client.get(f"{out['url']}?thumbnail=true"))


def test_evidence_on_the_units_own_event(territory, api_client):
    case = make_case(territory, "handling")
    officer = api_client(territory.user("officer"))
    resolved = act(officer, case, "resolve", {"note": "窝点已取缔"}).json()
    event_id = resolved["timeline"][-1]["id"]
    response = upload(officer, case, "after.png", png(), phase="after", event_id=event_id)
    assert response.status_code == 201, response.content
    timeline = officer.get(f"{API}/{case.pk}").json()["timeline"]
    assert [a["id"] for a in timeline[-1]["attachments"]] == [response.json()["id"]]
    # Someone else's event is not one to attach to.
    supervisor_event = timeline[1]["id"]  # register
    assert_field_error(upload(officer, case, "x.png", png(), event_id=supervisor_event), "event_id")


@pytest.mark.parametrize(
    ("name", "data", "fields"),
    [
        ("note.txt", b"hello", {}),
        ("fake.png", b"not an image at all", {}),
        ("fake.pdf", b"MZ\x90\x00", {}),
        ("ok.png", b"", {}),
    ],
)
def test_bad_files_are_400_and_store_nothing(territory, api_client, name, data, fields):
    case = make_case(territory)
    response = upload(api_client(territory.user("grid_a")), case, name, data, **fields)
    assert_field_error(response, "file")
    assert not CaseAttachment.objects.exists()


BAD_FORM_FIELDS = [
    ({"phase": "during"}, "phase"),
    ({"event_id": "first"}, "event_id"),
    ({"event_id": "999999"}, "event_id"),
    (None, "file"),  # no file at all
]


def post_form(client, case, fields):
    if fields is None:
        return client.post(f"{API}/{case.pk}/attachments", {"phase": "report"})
    return upload(client, case, "ok.png", png(), **fields)


@pytest.mark.parametrize(("fields", "field"), BAD_FORM_FIELDS)
def test_bad_form_fields_are_400_and_store_nothing(territory, api_client, fields, field):
    case = make_case(territory)
    response = post_form(api_client(territory.user("grid_a")), case, fields)
    body = assert_error(response, 400, "invalid")
    assert any(name.split(".")[-1] == field for name in body["fields"]), body
    assert not CaseAttachment.objects.exists()


@pytest.mark.parametrize(("fields", "field"), BAD_FORM_FIELDS[:1] + BAD_FORM_FIELDS[-1:])
def test_multipart_errors_name_the_field_itself(territory, api_client, fields, field):
    response = post_form(api_client(territory.user("grid_a")), make_case(territory), fields)
    assert_field_error(response, field)


def test_leader_cannot_upload(territory, api_client):
    case = make_case(territory)
    response = upload(api_client(territory.user("leader")), case, "x.png", png())
    assert_error(response, 403, "forbidden")
    assert not CaseAttachment.objects.exists()


def test_out_of_scope_is_404_both_ways(territory, api_client):
    case = make_case(territory)
    attachment = upload(api_client(territory.user("grid_a")), case, "x.png", png()).json()
    for username in ("township_b", "grid_a2", "officer", "nobody"):
        client = api_client(territory.user(username))
        assert_not_found(upload(client, case, "y.png", png()))
        assert_not_found(client.get(attachment["url"]))
    assert CaseAttachment.objects.count() == 1


def test_attachment_of_another_case_is_404(territory, api_client):
    case = make_case(territory)
    other = make_case(territory, title="另一案件")
    client = api_client(territory.user("supervisor"))
    attachment = upload(client, other, "x.png", png()).json()
    assert_not_found(client.get(f"{API}/{case.pk}/attachments/{attachment['id']}"))
    assert_not_found(client.get(f"{API}/{case.pk}/attachments/999999"))


def test_no_credentials_is_401(territory, client, api_client):
    case = make_case(territory)
    attachment = upload(api_client(territory.user("grid_a")), case, "x.png", png()).json()
    client.logout()
    assert client.get(attachment["url"]).status_code == 401
    assert upload(client, case, "x.png", png()).status_code == 401


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A 100-byte PNG that claims 900 million pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 10))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_400(territory, api_client):
    case = make_case(territory)
    response = upload(api_client(territory.user("grid_a")), case, "bomb.png", bomb_png())
    assert_field_error(response, "file")
    assert not CaseAttachment.objects.exists()
