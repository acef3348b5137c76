"""What a Slack body must hold before anything reads it: a signed body of the wrong shape (a
`user` that is a string, `actions` that is not a list, a view with no state) must not reach bolt's
context builders or our listeners, which index it as Slack documents it. Such a body is replaced
by a marker; once bolt has checked the signature, the marker is answered 400 (a forged one still
gets bolt's 401 first)."""

from __future__ import annotations

from typing import Any

MALFORMED = "placebot_malformed"  # the marker's key: the replaced body is {MALFORMED: reason}


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _id_of(value: Any) -> bool:
    """A `{"id": "..."}` object, as Slack sends `user` and `team` in payloads."""
    return isinstance(value, dict) and _text(value.get("id")) and bool(value["id"])


def _web_url(value: Any) -> bool:
    return value is None or (_text(value) and value.startswith(("https://", "http://")))


def _optional_objects(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        if name in body and body[name] is not None and not isinstance(body[name], dict):
            return f"`{name}` must be an object"
    return None


def _command(body: dict[str, Any]) -> str | None:
    for name in ("command", "user_id"):
        if not (_text(body.get(name)) and body[name]):
            return f"a slash command needs `{name}`"
    if not _web_url(body.get("response_url")):
        return "`response_url` must be a web address"
    return None


def _block_actions(body: dict[str, Any]) -> str | None:
    if not _id_of(body.get("user")):
        return 'a button press needs `user` as {"id": ...}'
    actions = body.get("actions")
    if not (isinstance(actions, list) and actions):
        return "a button press needs `actions` as a list"
    for action in actions:
        if not (isinstance(action, dict) and _text(action.get("action_id"))):
            return "each action needs an `action_id`"
        if "value" in action and not _text(action["value"]):
            return "an action's `value` must be text"
    if not _web_url(body.get("response_url")):
        return "`response_url` must be a web address"
    return _optional_objects(body, "team", "container", "view", "channel", "message")


def _view_submission(body: dict[str, Any]) -> str | None:
    if not _id_of(body.get("user")):
        return 'a form needs `user` as {"id": ...}'
    view = body.get("view")
    if not isinstance(view, dict):
        return "a form needs `view` as an object"
    state = view.get("state")
    if not (isinstance(state, dict) and isinstance(state.get("values"), dict)):
        return "a form needs `view.state.values` as an object"
    for block in state["values"].values():
        if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
            return "each of `view.state.values` must hold objects"
    if not _text(view.get("callback_id", "")) or not _text(view.get("private_metadata", "")):
        return "`view.callback_id` and `view.private_metadata` must be text"
    return _optional_objects(body, "team")


def _event_callback(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict):
        return "an event needs `event` as an object"
    if "user" in event and not _text(event["user"]):
        return "`event.user` must be text"
    return None


CHECKS = {
    "block_actions": _block_actions,
    "view_submission": _view_submission,
    "event_callback": _event_callback,
}


def _ids(body: dict[str, Any]) -> str | None:
    """bolt's context builders read these from every body, and from its event, whatever its
    kind: each must be absent, an id, or an object (`"id" in 5` is a TypeError)."""
    for where, found in (("", body), ("event.", body.get("event"))):
        if not isinstance(found, dict):
            continue
        for name in ("user", "team", "channel", "enterprise"):
            if found.get(name) is not None and not isinstance(found[name], str | dict):
                return f"`{where}{name}` must be an id or an object"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "`authorizations` must be a list of objects"
    return None


def problem(body: dict[str, Any]) -> str | None:
    """What is wrong with the body's shape for its kind, or None. Kinds PlaceBot has no listener
    for are left to bolt (which answers them 404)."""
    if found := _ids(body):
        return found
    if "command" in body or "user_id" in body:
        return _command(body)
    kind = body.get("type")
    if not _text(kind) and "type" in body:
        return "`type` must be text"
    if "user" in body and not (_id_of(body["user"]) or kind == "event_callback"):
        return 'a payload needs `user` as {"id": ...}'
    check = CHECKS.get(kind) if _text(kind) else None
    return check(body) if check else _optional_objects(body, "team", "enterprise")


def screened(body: dict[str, Any]) -> dict[str, Any]:
    """The body, or the marker in its place when its shape is wrong."""
    found = problem(body)
    return {MALFORMED: found} if found else body
