from django.contrib.auth import get_user

from gridgov.conftest import PASSWORD


def test_login_page_renders_in_chinese(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "登录" in html and "用户名" in html and "密码" in html


def test_login_and_logout(client, territory):
    response = client.post("/accounts/login/", {"username": "township_a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert get_user(client).username == "township_a"
    home = client.get("/").content.decode()
    assert "常营镇" in home and "乡镇(街道)工作人员" in home
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not get_user(client).is_authenticated


def test_wrong_password_shows_a_clear_error(client, territory):
    response = client.post("/accounts/login/", {"username": "township_a", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_lockout_after_repeated_failures(client, territory, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "township_a", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "township_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert not get_user(client).is_authenticated


def test_other_accounts_are_not_locked_by_one_accounts_failures(client, territory, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "township_a", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "township_b", "password": PASSWORD})
    assert response.status_code == 302


def test_inactive_user_cannot_log_in(client, territory):
    user = territory.user("township_a")
    user.is_active = False
    user.save()
    response = client.post("/accounts/login/", {"username": "township_a", "password": PASSWORD})
    assert response.status_code == 200
    assert not get_user(client).is_authenticated


def test_home_shows_role_navigation(client_for, territory):
    admin_html = client_for(territory.user("admin")).get("/").content.decode()
    assert "审计日志" in admin_html
    grid_html = client_for(territory.user("grid_a")).get("/").content.decode()
    assert "审计日志" not in grid_html and "网格员" in grid_html
    leader_html = client_for(territory.user("leader")).get("/").content.decode()
    assert "只读" in leader_html


def test_user_without_grants_is_told_so(client_for, territory):
    assert "还没有任何授权" in client_for(territory.user("nobody")).get("/").content.decode()


def test_demo_accounts_are_listed_only_when_enabled(client, db, settings):
    settings.GRIDGOV_SHOW_DEMO_ACCOUNTS = False
    assert "演示账号" not in client.get("/accounts/login/").content.decode()
    settings.GRIDGOV_SHOW_DEMO_ACCOUNTS = True
    html = client.get("/accounts/login/").content.decode()
    assert "演示账号" in html and "changying" in html
