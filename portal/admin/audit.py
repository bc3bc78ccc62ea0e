"""The audit log: every administrative action is written here by the service that performs it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.admin.models import AuditEntry
from portal.extensions import db
from portal.models_base import paginate


def record(actor, action: str, target, summary: str = "") -> AuditEntry:
    """Add an audit entry in the current transaction (the caller commits)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=type(target).__tablename__ if target is not None else "",
        target_id=getattr(target, "id", None),
        summary=summary[:500],
    )
    db.session.add(entry)
    return entry


ACTION_LABELS = {
    "user.grant_admin": "授予平台管理员",
    "user.revoke_admin": "撤销平台管理员",
    "user.grant_reviewer": "授予点评专家",
    "user.update_reviewer": "更新专家资料",
    "user.revoke_reviewer": "撤销点评专家",
    "user.disable": "停用账号",
    "user.enable": "恢复账号",
    "user.create": "创建用户（命令行）",
    "org.verify": "通过单位认证",
    "org.reject": "驳回单位申请",
    "org.create": "创建单位（命令行）",
    "theme.add": "新增主题",
    "theme.rename": "重命名主题",
    "theme.retire": "停用主题",
    "theme.restore": "恢复主题",
    "case.feature": "设为精选",
    "case.unfeature": "取消精选",
    "case.delete": "删除案例",
    "rubric.add": "新增评分维度",
    "rubric.rename": "重命名评分维度",
    "rubric.retire": "停用评分维度",
    "rubric.restore": "恢复评分维度",
    "rubric.move": "调整评分维度顺序",
    "expert_comment.delete": "删除专家点评",
    "review.assign": "指派点评专家",
    "review.cancel": "取消点评指派",
    "comment.hide": "隐藏评论",
    "comment.restore": "恢复评论",
    "comment.delete": "删除评论（审核）",
    "session.event_create": "新建分享会活动",
    "session.event_update": "编辑分享会活动",
    "session.series_create": "新建分享会系列",
    "session.series_update": "编辑分享会系列",
    "session.create": "新建分享会场次",
    "session.update": "编辑分享会场次",
    "session.delete": "删除分享会场次",
    "session.held": "标记分享会已举行",
    "session.close": "关闭并归档分享会",
    "session.record": "修改分享会归档记录",
    "session.speaker_add": "添加分享会嘉宾",
    "session.speaker_update": "编辑分享会嘉宾",
    "session.speaker_delete": "移除分享会嘉宾",
    "session.orgs": "设置分享会参会单位",
    "session.agenda_add": "添加议程项",
    "session.agenda_update": "编辑议程项",
    "session.agenda_delete": "删除议程项",
    "session.agenda_move": "调整议程顺序",
    "session.material_add": "添加分享会资料",
    "session.material_update": "修改分享会资料可见范围",
    "session.material_delete": "删除分享会资料",
    "session.proposal_accept": "接受分享会案例推荐",
    "session.proposal_decline": "婉拒分享会案例推荐",
}


#: The audit page's filter tabs: action prefix -> label.
FILTERS = {
    "user": _l("用户"),
    "org": _l("单位"),
    "case": _l("案例"),
    "theme": _l("主题"),
    "review": _l("评审指派"),
    "expert_comment": _l("专家点评"),
    "rubric": _l("评分维度"),
    "comment": _l("评论审核"),
    "session": _l("分享会"),
}


def recent_entries(action_prefix: str | None = None, page: int = 1, per_page: int = 50):
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action_prefix:
        query = query.where(AuditEntry.action.startswith(action_prefix + "."))
    # Each row names its actor: loaded in one query for the page, not one per row.
    return paginate(query, page=page, per_page=per_page, options=(selectinload(AuditEntry.actor),),
                    count_by=AuditEntry.id)


#: Audit targets that have their own page: table name -> (endpoint, URL argument).
TARGET_PAGES = {
    "cases": ("cases.show", "case_id"),
    "users": ("admin.user", "user_id"),
    "organizations": ("admin.org", "org_id"),
    "sharing_sessions": ("sessions.show", "session_id"),
    "events": ("sessions.event", "event_id"),
    "session_series": ("sessions.series", "series_id"),
}


def _model_for(table: str):
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    return None


def resolve_targets(entries) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(target_type, target_id) -> (title or name, URL or None) for the targets that still exist.

    One query per target type; a deleted target is simply missing, so the page falls back to "type #id".
    """
    from flask import url_for

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_type and entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found = {}
    for table, ids in wanted.items():
        model = _model_for(table)
        label = next((a for a in ("title", "display_name", "name") if model is not None and hasattr(model, a)), None)
        if label is None:
            continue
        page = TARGET_PAGES.get(table)
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            url = url_for(page[0], **{page[1]: obj.id}) if page else None
            found[(table, obj.id)] = (getattr(obj, label), url)
    return found
