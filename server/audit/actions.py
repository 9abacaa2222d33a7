"""The names of the audit trail's actions, in Chinese and English, for pages and exports."""

from __future__ import annotations

NAMES: dict[str, tuple[str, str]] = {
    "issue": ("取号", "ticket issued"),
    "call": ("叫号", "call"),
    "call_specific": ("指定呼叫", "call by number"),
    "recall": ("重呼", "recall"),
    "no_show": ("过号", "no-show"),
    "start": ("开始办理", "start"),
    "finish": ("办结", "finish"),
    "transfer": ("转移", "transfer"),
    "pause": ("暂停", "pause"),
    "resume": ("恢复", "resume"),
    "sign_in": ("签到上岗", "sign in"),
    "sign_out": ("签退离岗", "sign out"),
    "takeover": ("顶岗接替", "takeover"),
    "open": ("开窗", "window opened"),
    "close": ("关窗", "window closed"),
    "cancel": ("作废", "cancelled"),
    "reissue": ("重新取号", "re-issued"),
    "requeue": ("过号重排", "re-queued"),
    "rating": ("评价", "rating"),
    "case_open": ("差评立案", "case opened"),
    "case_verify": ("差评核实", "case verified"),
    "case_rectify": ("差评整改", "case rectified"),
    "case_answer": ("差评反馈", "case answered"),
    "case_follow_up": ("差评回访", "case followed up"),
    "case_appeal": ("差评申诉", "case appealed"),
    "case_void": ("申诉作废", "case voided"),
    "case_appeal_refused": ("申诉驳回", "appeal refused"),
    "presence": ("去向牌", "presence"),
    "post_override": ("AB岗代岗授权", "post override"),
    "login": ("登录", "login"),
    "config": ("配置变更", "configuration"),
    "device_token": ("设备令牌", "device token"),
    "scroll_text": ("滚动字幕", "scrolling line"),
    "window_services": ("窗口改办", "window moved"),
    "alert_ack": ("预警知悉", "alert seen"),
    "rollover": ("日切", "day rollover"),
    "appointment": ("预约", "appointment"),
    "appointment_cancel": ("取消预约", "appointment cancelled"),
    "appointment_move": ("改约", "appointment moved"),
    "upload_retry": ("好差评重新上报", "rating upload retried"),
}


def name(action: str, lang: str = "zh") -> str:
    """An action's name; an action not listed here shows its code."""
    pair = NAMES.get(action)
    if pair is None:
        return action
    return pair[0] if lang == "zh" else pair[1]


def catalogue(codes: list[str]) -> list[dict[str, str]]:
    """Codes with their names, for a page's filter."""
    return [{"code": c, "zh": name(c, "zh"), "en": name(c, "en")} for c in codes]


__all__ = ["NAMES", "catalogue", "name"]
