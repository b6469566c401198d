"""Uploads and the web worker: an upload never decodes its image there (the job consumer makes
the thumbnail), and each user may start UPLOADS_PER_HOUR uploads an hour (429 `rate_limited`)."""
from __future__ import annotations

import io

import pytest
from PIL import ImageFile

from actions.files import make_attachment_thumbnail, start_direct_upload
from actions.rate_limits import MemoryCounters, RateLimited
from tests.files.samples import png_bytes
from tests.helpers import bearer, database_rows, error_of, run_queued_jobs


@pytest.fixture
def upload(client, alice, bob):
    headers = {user: bearer(user) for user in (alice, bob)}

    def post(user, conversation_id: int, data: bytes):
        return client.post(f"/api/conversations/{conversation_id}/files", headers=headers[user],
                           data={"file": (io.BytesIO(data), "photo.png", "image/png")})
    return post


def test_an_image_upload_decodes_nothing_until_the_job_runs(upload, alice, group, monkeypatch):
    decoded = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size) or load(image))
    assert upload(alice, group.id, png_bytes(640, 480)).status_code == 201
    assert decoded == []  # the request only sniffed the first bytes
    assert run_queued_jobs() == [make_attachment_thumbnail.name]
    assert decoded and set(decoded) == {(640, 480)}


@pytest.mark.parametrize("app_settings", [{"UPLOADS_PER_HOUR": 2}])
def test_uploads_past_the_hourly_limit_get_429_and_store_nothing(app, upload, alice, bob, group):
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: 7200.0 + 600)  # 50 minutes before the hour
    assert [upload(alice, group.id, png_bytes()).status_code for _ in range(2)] == [201, 201]
    before = database_rows()
    refused = upload(alice, group.id, png_bytes())
    # 50 minutes to the hour's end, then half an hour for one of its two uploads to slide out of the window
    assert error_of(refused) == (429, "rate_limited") and refused.headers["Retry-After"] == "4800"
    with pytest.raises(RateLimited):
        start_direct_upload(alice, group.id, "photo.png", "image/png", 1000)
    assert database_rows() == before
    assert upload(bob, group.id, png_bytes()).status_code == 201  # a limit per user
