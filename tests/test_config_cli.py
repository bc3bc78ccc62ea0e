"""Configuration contract (PORTAL_* variables) and the `portal` CLI commands."""
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.config import MissingSecretKey, load_environment

ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(MissingSecretKey, match="PORTAL_SECRET_KEY"):
        create_app()


def test_wsgi_exits_with_clear_message_without_secret_key(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PORTAL_INSTANCE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "PORTAL_SECRET_KEY" in result.stderr


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "s3cret")
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("PORTAL_RATELIMIT_STORAGE", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert app.config["SESSION_COOKIE_SECURE"] is True, "secure cookies in production"
    assert app.instance_path == str(tmp_path)


def test_defaults_keep_everything_under_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_ENV", "development")
    for name in ("PORTAL_DATABASE_URL", "PORTAL_SECRET_KEY", "PORTAL_RATELIMIT_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["SEARCH_INDEX_DIR"].startswith(str(tmp_path))
    assert app.config["UPLOAD_DIR"].startswith(str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_instance_config_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-file'\nMAIL_SENDER = 'file@example.org'\n")
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_MAIL_SENDER", "env@example.org")
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["MAIL_SENDER"] == "env@example.org"


def test_boolean_and_integer_variables_are_converted():
    found = load_environment({"PORTAL_COOKIE_SECURE": "false", "PORTAL_MAX_UPLOAD_MB": "5", "PORTAL_SMTP_STARTTLS": "yes"})
    assert found == {"SESSION_COOKIE_SECURE": False, "MAX_UPLOAD_MB": 5, "SMTP_STARTTLS": True}


def test_create_user_command(runner, app):
    result = runner.invoke(args=["portal", "create-user", "--email", "Ops@Example.org", "--name", "运维",
                                 "--password", "long-enough-pw", "--admin", "--reviewer"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from portal.auth.services import get_user_by_email

        user = get_user_by_email("ops@example.org")
        assert user.is_admin and user.is_reviewer and user.check_password("long-enough-pw")


def test_create_user_command_reports_bad_input(runner):
    result = runner.invoke(args=["portal", "create-user", "--email", "x@example.org", "--name", "X", "--password", "short"])
    assert result.exit_code != 0
    assert "密码至少需要 10 个字符" in result.output


def test_create_org_command_makes_a_verified_org_with_admin(runner, app, factory):
    factory.user("boss@example.org")
    result = runner.invoke(args=["portal", "create-org", "--name", "遵义示例社工中心", "--province", "贵州省",
                                 "--type", "社工机构", "--admin-email", "boss@example.org"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from portal.extensions import db
        from portal.orgs.models import Organization

        org = db.session.scalar(select(Organization).where(Organization.name == "遵义示例社工中心"))
        assert org.status == "verified"
        assert [(m.user.email, m.role) for m in org.memberships] == [("boss@example.org", "admin")]


@pytest.mark.parametrize("args, message", [
    (["--province", "火星省", "--type", "社工机构"], "省级行政区"),
    (["--province", "贵州省", "--type", "公司"], "单位类型"),
])
def test_create_org_command_rejects_bad_values(runner, factory, args, message):
    factory.user("boss@example.org")
    result = runner.invoke(args=["portal", "create-org", "--name", "某单位", "--admin-email", "boss@example.org", *args])
    assert result.exit_code != 0 and message in result.output


def test_create_org_command_needs_an_existing_user(runner):
    result = runner.invoke(args=["portal", "create-org", "--name", "某单位", "--province", "贵州省",
                                 "--type", "社工机构", "--admin-email", "ghost@example.org"])
    assert result.exit_code != 0 and "create-user" in result.output


def test_seed_demo_is_idempotent_and_prints_logins(runner, app):
    from portal.auth.models import User
    from portal.extensions import db
    from portal.orgs.models import Organization

    first = runner.invoke(args=["portal", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.example.org" in first.output and "demo-password-2026" in first.output
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(User)),
                  db.session.scalar(select(func.count()).select_from(Organization)))
    second = runner.invoke(args=["portal", "seed-demo"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    with app.app_context():
        assert counts == (db.session.scalar(select(func.count()).select_from(User)),
                          db.session.scalar(select(func.count()).select_from(Organization)))
        roles = {u.email: (u.is_admin, u.is_reviewer, len(u.memberships)) for u in db.session.scalars(select(User))}
    assert roles["admin@demo.example.org"][0]
    assert roles["expert.zhou@demo.example.org"][1]
    assert roles["unit.editor@demo.example.org"][2] == 1


def test_demo_data_shows_expert_commentary_discussion_and_adoption(runner, app, client):
    """The demo case on 五社联动 carries two scored expert comments (so averages show), the unit's
    response, a question with the unit's answer and an adoption report; the experts are listed."""
    from portal.cases.models import Case
    from portal.extensions import db

    assert runner.invoke(args=["portal", "seed-demo"]).exit_code == 0
    with app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.external_id == "demo-001"))
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    for text in ("周明远（示例专家）", "陈思宁（示例专家）", "感谢专家点评", "志愿者一开始是怎么招募的",
                 "楼栋长", "铜仁市示例乡镇社工站", "铜仁市某镇集镇社区（示例）"):
        assert text in page, text
    assert "平均" in page
    experts = client.get("/experts").get_data(as_text=True)
    assert "周明远（示例专家）" in experts and "陈思宁（示例专家）" in experts
