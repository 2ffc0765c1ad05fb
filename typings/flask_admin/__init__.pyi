# flask-admin 2.x is annotated but ships no py.typed marker: these stubs copy the signatures of the few
# names Formwork uses (admin/console.py is the only module that imports flask_admin).
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask
from flask.typing import ResponseReturnValue

_View = TypeVar("_View", bound=Callable[..., Any])

def expose(url: str = "/", methods: Iterable[str] | None = ("GET",)) -> Callable[[_View], _View]: ...

class BaseView:
    def __init__(self, name: str | None = None, category: str | None = None, endpoint: str | None = None,
                 url: str | None = None, static_folder: str | None = None, static_url_path: str | None = None,
                 menu_class_name: str | None = None, menu_icon_type: str | None = None,
                 menu_icon_value: str | None = None) -> None: ...
    def render(self, template: str, **kwargs: Any) -> str: ...
    def is_accessible(self) -> bool: ...
    def inaccessible_callback(self, name: Any, **kwargs: Any) -> ResponseReturnValue: ...

class AdminIndexView(BaseView):
    def __init__(self, name: str | None = None, category: str | None = None, endpoint: str | None = None,
                 url: str | None = None, template: str = "admin/index.html", menu_class_name: str | None = None,
                 menu_icon_type: str | None = None, menu_icon_value: str | None = None) -> None: ...

class Admin:
    def __init__(self, app: Flask | None = None, name: str | None = None, url: str | None = None,
                 subdomain: str | None = None, index_view: BaseView | None = None,
                 translations_path: str | None = None, endpoint: str | None = None,
                 static_url_path: str | None = None, theme: Any = None,
                 category_icon_classes: dict[str, str] | None = None, host: str | None = None,
                 csp_nonce_generator: Callable[[], Any] | None = None) -> None: ...
    def add_view(self, view: BaseView) -> None: ...
