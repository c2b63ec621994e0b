"""apache-airflow-providers-slack (webhooks): SlackWebhookHook, SlackWebhookOperator, SlackWebhookNotifier.

The webhook URL is the connection's password (or host + password), as in the provider; the request is a
JSON POST made with the standard library, so no Slack SDK is needed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin, urlsplit

from chalicelib.providers.notifier import BaseNotifier
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import AirflowException, AirflowNotFoundException
from chalicelib.sdk.hooks.base import BaseHook


class SlackWebhookHook(BaseHook):
    conn_name_attr = "slack_webhook_conn_id"
    default_conn_name = "slack_default"
    conn_type = "slackwebhook"
    hook_name = "Slack Incoming Webhook"

    def __init__(self, *, slack_webhook_conn_id: str = default_conn_name, timeout: int | None = None,
                 proxy: str | None = None, retry_handlers: Any = None, **kwargs: Any):
        super().__init__()
        self.slack_webhook_conn_id = slack_webhook_conn_id
        self.timeout = timeout or 30
        self.proxy = proxy

    def webhook_url(self) -> str:
        conn = self.get_connection(self.slack_webhook_conn_id)
        if not conn.password or not conn.password.strip():
            raise AirflowNotFoundException(f"Connection ID {self.slack_webhook_conn_id!r} does not contain password "
                                           "(Slack Webhook URL).")
        url = conn.password.strip()
        if not urlsplit(url).scheme:
            host = conn.host or "https://hooks.slack.com/services/"
            if "://" not in host:
                host = f"{conn.schema or 'https'}://{host}"
            url = urljoin(host.rstrip("/") + "/", url.lstrip("/"))
        return url

    def send_dict(self, body: dict[str, Any], *, headers: dict[str, str] | None = None) -> str:
        data = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
        request = urllib.request.Request(self.webhook_url(), data=data, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the connection's URL
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            raise AirflowException(f"Response body: {exc.read().decode()!r}, Status Code: {exc.code}. "
                                   "See: https://api.slack.com/messaging/webhooks#handling_errors") from None

    def send(self, *, text: str | None = None, blocks: list | None = None, response_type: str | None = None,
             replace_original: bool | None = None, delete_original: bool | None = None, unfurl_links: bool | None = None,
             unfurl_media: bool | None = None, headers: dict[str, str] | None = None, attachments: list | None = None,
             **kwargs: Any) -> str:
        body = {"text": text, "attachments": attachments, "blocks": blocks, "response_type": response_type,
                "replace_original": replace_original, "delete_original": delete_original,
                "unfurl_links": unfurl_links, "unfurl_media": unfurl_media, **kwargs}
        return self.send_dict(body, headers=headers)

    def send_text(self, text: str, **kwargs: Any) -> str:
        return self.send(text=text, **kwargs)


class SlackWebhookOperator(BaseOperator):
    template_fields = ("message", "attachments", "blocks", "channel", "username", "proxy")

    def __init__(self, *, slack_webhook_conn_id: str, message: str = "", attachments: list | None = None,
                 blocks: list | None = None, channel: str | None = None, username: str | None = None,
                 icon_emoji: str | None = None, icon_url: str | None = None, proxy: str | None = None,
                 timeout: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.slack_webhook_conn_id = slack_webhook_conn_id
        self.message, self.attachments, self.blocks = message, attachments, blocks
        self.channel, self.username, self.icon_emoji, self.icon_url = channel, username, icon_emoji, icon_url
        self.proxy, self.timeout = proxy, timeout

    def execute(self, context: dict[str, Any]) -> None:
        SlackWebhookHook(slack_webhook_conn_id=self.slack_webhook_conn_id, timeout=self.timeout).send(
            text=self.message, attachments=self.attachments, blocks=self.blocks, channel=self.channel,
            username=self.username, icon_emoji=self.icon_emoji, icon_url=self.icon_url)


class SlackWebhookNotifier(BaseNotifier):
    template_fields = ("slack_webhook_conn_id", "text", "attachments", "blocks")

    def __init__(self, *, slack_webhook_conn_id: str = SlackWebhookHook.default_conn_name,
                 text: str = "This is a default message", blocks: list | None = None, unfurl_links: bool | None = None,
                 unfurl_media: bool | None = None, proxy: str | None = None, timeout: int | None = None,
                 attachments: list | None = None, retry_handlers: Any = None):
        self.slack_webhook_conn_id, self.text, self.blocks = slack_webhook_conn_id, text, blocks
        self.unfurl_links, self.unfurl_media, self.attachments = unfurl_links, unfurl_media, attachments
        self.timeout = timeout

    def notify(self, context: dict[str, Any]) -> None:
        SlackWebhookHook(slack_webhook_conn_id=self.slack_webhook_conn_id, timeout=self.timeout).send(
            text=self.text, blocks=self.blocks, unfurl_links=self.unfurl_links, unfurl_media=self.unfurl_media,
            attachments=self.attachments)


send_slack_webhook_notification = SlackWebhookNotifier
