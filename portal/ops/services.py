"""The readiness checks behind /readyz: each dependency, whether it works, and a short detail.

A load balancer takes an instance out of rotation while /readyz answers 503; monitoring reads
the details. Each check is cheap (one small query or call) and catches its own failure, so one
broken dependency is reported, not a 500.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, text

from portal.extensions import db, limiter
from portal.models_base import utcnow


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float

    def as_dict(self) -> dict:
        return asdict(self)


def _timed(name: str, run) -> Check:
    started = time.perf_counter()
    try:
        ok, detail = run()
    except Exception as exc:  # the dependency is down: report it, do not fail the endpoint
        current_app.logger.error("readiness check %s failed: %s", name, exc)
        ok, detail = False, f"{type(exc).__name__}: {str(exc)[:200]}"
        try:
            db.session.rollback()
        except Exception:
            pass
    return Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    cached = current_app.extensions.setdefault("ops", {})
    if "head" not in cached:
        directory = current_app.extensions["migrate"].directory
        path = Path(directory) if Path(directory).is_absolute() else Path(current_app.root_path).parent / directory
        cached["head"] = ScriptDirectory(str(path)).get_current_head()
    return cached["head"]


def _database():
    db.session.execute(text("SELECT 1"))
    current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    head = _head_revision()
    if current != head:
        return False, f"数据库结构版本 {current}，代码需要 {head}：请运行 flask db upgrade"
    return True, f"{db.engine.dialect.name}，结构版本 {current}"


def _limiter_storage():
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if uri.startswith("memory://"):
        return True, "memory://（仅限单进程；生产环境请用 Redis）"
    if not limiter.storage.check():
        return False, "限流存储（Redis）无法连接：登录限制已失效"
    return True, uri.split("@")[-1]


def _search():
    from portal.search import service, sync

    found = service.search(q="", per_page=1).total
    published = service.published_count()
    pending = sync.pending_count()
    oldest = db.session.scalar(select(func.min(sync.SearchOutbox.created_at)))
    stale_after = timedelta(seconds=current_app.config.get("READY_SEARCH_STALE_SECONDS", 300))
    if oldest is not None and utcnow() - oldest > stale_after:
        return False, f"索引落后：{pending} 个更新等待超过 {int(stale_after.total_seconds())} 秒"
    if pending == 0 and found != published:
        return False, f"索引有 {found} 个案例，数据库有 {published} 个已发布案例：请运行 flask search reindex"
    return True, f"{found} 个案例，{pending} 个更新待处理"


def _disk():
    instance = Path(current_app.instance_path)
    usage = shutil.disk_usage(instance)
    minimum = current_app.config.get("READY_MIN_FREE_MB", 500) * 1024 * 1024
    free_mb = usage.free // (1024 * 1024)
    if usage.free < minimum:
        return False, f"实例目录所在磁盘仅剩 {free_mb} MB"
    return True, f"剩余 {free_mb} MB"


def _mail():
    from portal.mail.services import status

    info = status()
    limit = current_app.config.get("READY_MAIL_STALE_SECONDS", 900)
    detail = f"{current_app.config['MAIL_BACKEND']}，待发送 {info['waiting']} 封，已放弃 {info['failed']} 封"
    if info["oldest_seconds"] is not None and info["oldest_seconds"] > limit:
        return False, f"{detail}；最早的已等待 {info['oldest_seconds']} 秒：请检查邮件服务器设置"
    return True, detail


CHECKS = (("database", _database), ("rate_limit_storage", _limiter_storage), ("search", _search),
          ("disk", _disk), ("mail", _mail))


def readiness() -> tuple[bool, list[Check]]:
    checks = [_timed(name, run) for name, run in CHECKS]
    return all(c.ok for c in checks), checks
