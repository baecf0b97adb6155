from gridgov.core.models import AuditLog
from gridgov.territory.services import grid_add


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_task_queue(client, db):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "tasks"}


def test_readyz_reports_an_unreachable_task_queue_as_unavailable(client, db, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    # A real failing query: the queue's table name points at a table that does not exist.
    monkeypatch.setattr(DBTaskResult._meta, "db_table", "gridgov_missing_task_table")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["tasks"].startswith("error")


def test_every_service_write_leaves_an_audit_row_with_actor(territory):
    before = AuditLog.objects.count()
    grid = grid_add(actor=territory.user("township_a"), village=territory.village_a1, name="新网格")
    row = AuditLog.objects.order_by("-id").first()
    assert AuditLog.objects.count() == before + 1
    assert row.action == "grid.add"
    assert row.actor == territory.user("township_a")
    assert row.object_id == str(grid.pk)
    assert row.changes["name"] == "新网格"


def test_audit_page_is_for_county_admin_only(territory, client_for):
    grid_add(actor=territory.user("admin"), village=territory.village_a1, name="审计测试网格")
    response = client_for(territory.user("admin")).get("/audit/")
    assert response.status_code == 200
    assert "grid.add" in response.content.decode()
    for name in ("leader", "township_a", "supervisor"):
        assert client_for(territory.user(name)).get("/audit/").status_code == 404


def test_audit_page_query_count_does_not_grow(territory, client_for, django_assert_max_num_queries):
    client = client_for(territory.user("admin"))
    for i in range(3):
        grid_add(actor=territory.user("admin"), village=territory.village_a2, name=f"网格{i}")
    with django_assert_max_num_queries(8) as few:
        client.get("/audit/")
    for i in range(20):
        grid_add(actor=territory.user("township_a"), village=territory.village_a2, name=f"更多网格{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/audit/")


def test_home_summarises_the_users_scope(territory, client_for):
    html = client_for(territory.user("township_a")).get("/").content.decode()
    assert "下辖 2 个村(社区)" in html
    # 常营镇: one township, two villages, four grids
    assert '<span class="num">4</span><span class="label">网格</span>' in html
    assert '<span class="num">2</span><span class="label">村(社区)</span>' in html


def test_notifications_show_once_as_new_and_only_to_their_recipient(territory, client_for):
    from gridgov.core.models import Notification

    Notification.objects.create(
        recipient=territory.user("commander"), title="超期督办：2026112900001", url="/cases/1/"
    )
    client = client_for(territory.user("commander"))
    home = client.get("/").content.decode()
    assert 'class="bell-count">1<' in home
    page = client.get("/notifications/").content.decode()
    assert "超期督办：2026112900001" in page and "新" in page
    assert 'class="bell-count"' not in client.get("/").content.decode()
    assert "超期督办" not in client_for(territory.user("supervisor")).get("/notifications/").content.decode()


def test_favicon_redirects_to_the_static_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")


def test_url_configuration_imports_before_collectstatic(tmp_path):
    """make demo runs migrate (which imports the URLs) before collectstatic: nothing may need the manifest then."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "GRIDGOV_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); import config.urls"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
