"""JSON in and out of the API, hardened: no nesting deep enough to exhaust the parser, and any string rendered.

Python's json module raises RecursionError (not ValueError) on input nested about a thousand levels deep,
which DRF does not turn into a parse error; and a lone surrogate (valid in JSON as "\\ud800", not encodable
as UTF-8) echoed in an error message would break a UTF-8 render.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, renderers


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("JSON parse error: nested too deeply.")) from exc


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # an instance per response: escapes "\ud800" instead of encoding it
            return super().render(data, accepted_media_type, renderer_context)
