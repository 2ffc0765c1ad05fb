"""The words of the phone layouts (cards, the filter sheet, stepwise forms), key -> (zh, en), merged into
web.ui.i18n.MESSAGES."""
from __future__ import annotations

PHONE_LAYOUT_WORDS: dict[str, tuple[str, str]] = {
    "phone.close": ("关闭", "Close"),
    "phone.active_filters": ("已设 {count} 个筛选条件", "{count} filters set"),
    "phone.loading": ("正在加载…", "Loading…"),
    "phone.load_failed": ("加载失败，点此重试", "Could not load; tap to retry"),
    "phone.previous": ("上一步", "Back"),
    "phone.next": ("下一步", "Next"),
    "phone.step": ("第 {n} 步，共 {count} 步", "Step {n} of {count}"),
    "phone.computed": ("计算结果", "Computed"),
    "phone.more": ("其他", "Other"),
}
