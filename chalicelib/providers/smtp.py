"""Email: EmailOperator, SmtpHook, SmtpNotifier, `send_email`, and the `email_on_failure`/`email_on_retry`
alerts. Through an SMTP connection (`conn_id`, default `smtp_default`) when one is defined; otherwise through
Amazon SES with the task's AWS credentials (the worker's role on AWS), from AIRFLOW__EMAIL__FROM_EMAIL."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterable
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from pathlib import Path
from typing import Any

from chalicelib.providers.notifier import BaseNotifier
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.connection import ConnectionNotFound, get_connection
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.hooks.base import BaseHook

DEFAULT_CONN = "smtp_default"


def _addresses(value: str | Iterable[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [a.strip() for a in value.replace(";", ",").split(",") if a.strip()]
    return [a for item in value for a in _addresses(item)]


def build_message(*, from_email: str, to: list[str], subject: str, html_content: str, files: list[str] | None = None,
                  cc: list[str] | None = None, mime_subtype: str = "mixed", mime_charset: str = "utf-8",
                  custom_headers: dict[str, Any] | None = None) -> MIMEMultipart:
    msg = MIMEMultipart(mime_subtype)
    msg["Subject"], msg["From"], msg["To"] = subject, from_email, ", ".join(to)
    if cc:
        msg["CC"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=True)
    msg.attach(MIMEText(html_content, "html", mime_charset))
    for name in files or []:
        part = MIMEApplication(Path(name).read_bytes(), Name=Path(name).name)
        part["Content-Disposition"] = f'attachment; filename="{Path(name).name}"'
        msg.attach(part)
    for header, value in (custom_headers or {}).items():
        msg[header] = value
    return msg


class SmtpHook(BaseHook):
    conn_name_attr = "smtp_conn_id"
    default_conn_name = DEFAULT_CONN
    conn_type = "smtp"
    hook_name = "SMTP"

    def __init__(self, smtp_conn_id: str = DEFAULT_CONN, **kwargs: Any):
        super().__init__()
        self.smtp_conn_id = smtp_conn_id

    def send_email_smtp(self, *, to: str | Iterable[str], subject: str, html_content: str,
                        from_email: str | None = None, files: list[str] | None = None, cc: Any = None, bcc: Any = None,
                        mime_subtype: str = "mixed", mime_charset: str = "utf-8",
                        custom_headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        conn = self.get_connection(self.smtp_conn_id)
        extra = conn.extra_dejson
        sender = from_email or extra.get("from_email") or _default_from() or conn.login
        if not sender:
            raise AirflowException("You should provide `from_email` or define it in the connection (extra "
                                   "`from_email`) or AIRFLOW__EMAIL__FROM_EMAIL.")
        recipients, copies = _addresses(to), _addresses(cc)
        msg = build_message(from_email=sender, to=recipients, subject=subject, html_content=html_content,
                            files=files, cc=copies, mime_subtype=mime_subtype, mime_charset=mime_charset,
                            custom_headers=custom_headers)
        use_ssl = bool(extra.get("disable_ssl") is False or extra.get("ssl"))
        klass = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
        with klass(conn.host or "localhost", conn.port or (465 if use_ssl else 25),
                   timeout=int(extra.get("timeout", 30))) as server:
            if not use_ssl and not extra.get("disable_tls", True):
                server.starttls()
            if conn.login:
                server.login(conn.login, conn.password or "")
            server.sendmail(sender, recipients + copies + _addresses(bcc), msg.as_string())


def _default_from() -> str | None:
    return os.environ.get("AIRFLOW__EMAIL__FROM_EMAIL") or os.environ.get("LEVANTE_EMAIL_FROM")


def send_email(to: str | Iterable[str], subject: str, html_content: str, files: list[str] | None = None,
               dryrun: bool = False, cc: Any = None, bcc: Any = None, mime_subtype: str = "mixed",
               mime_charset: str = "utf-8", conn_id: str | None = None, from_email: str | None = None,
               custom_headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Airflow's airflow.utils.email.send_email: SMTP when the connection exists, else Amazon SES."""
    if dryrun:
        return
    smtp_conn = conn_id or DEFAULT_CONN
    try:
        get_connection(smtp_conn)
    except ConnectionNotFound:
        if conn_id:
            raise
        return _send_ses(to=to, subject=subject, html_content=html_content, files=files, cc=cc, bcc=bcc,
                         mime_subtype=mime_subtype, mime_charset=mime_charset, from_email=from_email,
                         custom_headers=custom_headers)
    SmtpHook(smtp_conn).send_email_smtp(to=to, subject=subject, html_content=html_content, from_email=from_email,
                                        files=files, cc=cc, bcc=bcc, mime_subtype=mime_subtype,
                                        mime_charset=mime_charset, custom_headers=custom_headers)


def _send_ses(*, to: Any, subject: str, html_content: str, files: Any, cc: Any, bcc: Any, mime_subtype: str,
              mime_charset: str, from_email: str | None, custom_headers: Any) -> None:
    import boto3

    sender = from_email or _default_from()
    if not sender:
        raise AirflowException("No SMTP connection 'smtp_default' and no sender for Amazon SES: set "
                               "AIRFLOW__EMAIL__FROM_EMAIL (a verified SES identity) or define the connection.")
    recipients, copies = _addresses(to), _addresses(cc)
    msg = build_message(from_email=sender, to=recipients, subject=subject, html_content=html_content, files=files,
                        cc=copies, mime_subtype=mime_subtype, mime_charset=mime_charset, custom_headers=custom_headers)
    boto3.client("ses").send_raw_email(Source=sender, Destinations=recipients + copies + _addresses(bcc),
                                       RawMessage={"Data": msg.as_string()})


class EmailOperator(BaseOperator):
    template_fields = ("to", "from_email", "subject", "html_content", "files")
    template_fields_renderers = {"html_content": "html"}
    template_ext = (".html",)
    ui_color = "#e6faf9"

    def __init__(self, *, to: str | list[str], subject: str, html_content: str, from_email: str | None = None,
                 files: list | None = None, cc: Any = None, bcc: Any = None, mime_subtype: str = "mixed",
                 mime_charset: str = "utf-8", conn_id: str | None = None, custom_headers: dict | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.to, self.subject, self.html_content, self.from_email = to, subject, html_content, from_email
        self.files, self.cc, self.bcc = files or [], cc, bcc
        self.mime_subtype, self.mime_charset, self.conn_id = mime_subtype, mime_charset, conn_id
        self.custom_headers = custom_headers

    def execute(self, context: dict[str, Any]) -> None:
        send_email(self.to, self.subject, self.html_content, files=self.files, cc=self.cc, bcc=self.bcc,
                   mime_subtype=self.mime_subtype, mime_charset=self.mime_charset, conn_id=self.conn_id,
                   from_email=self.from_email, custom_headers=self.custom_headers)


class SmtpNotifier(BaseNotifier):
    template_fields = ("from_email", "to", "subject", "html_content", "files", "cc", "bcc", "custom_headers")

    def __init__(self, *, to: str | Iterable[str], from_email: str | None = None, subject: str | None = None,
                 html_content: str | None = None, files: list[str] | None = None, cc: Any = None, bcc: Any = None,
                 mime_subtype: str = "mixed", mime_charset: str = "utf-8", custom_headers: dict | None = None,
                 smtp_conn_id: str = DEFAULT_CONN, **kwargs: Any):
        self.to, self.from_email, self.files, self.cc, self.bcc = to, from_email, files, cc, bcc
        self.subject = subject or "Airflow notification: {{ ti.task_id }} {{ ti.state }}"
        self.html_content = html_content or "DAG {{ dag.dag_id }}, run {{ run_id }}, task {{ ti.task_id }}"
        self.mime_subtype, self.mime_charset, self.custom_headers = mime_subtype, mime_charset, custom_headers
        self.smtp_conn_id = smtp_conn_id

    def notify(self, context: dict[str, Any]) -> None:
        SmtpHook(self.smtp_conn_id).send_email_smtp(
            to=self.to, subject=self.subject, html_content=self.html_content, from_email=self.from_email,
            files=self.files, cc=self.cc, bcc=self.bcc, mime_subtype=self.mime_subtype,
            mime_charset=self.mime_charset, custom_headers=self.custom_headers)


send_smtp_notification = SmtpNotifier


def email_alert(task: Any, context: dict[str, Any], *, retry: bool) -> None:
    """`email` + `email_on_failure`/`email_on_retry` on a task: Airflow's alert mail, through `send_email`."""
    ti = context.get("ti")
    exception = context.get("exception")
    what = "retry" if retry else "failure"
    dag_id = task.dag.dag_id if task.dag else ""
    subject = f"Airflow alert: <TaskInstance: {dag_id}.{task.task_id} {context.get('run_id')} [{what}]>"
    body = (f"Try {getattr(ti, 'try_number', '?')} out of {getattr(ti, 'max_tries', 0) + 1}<br>"
            f"Exception:<br>{exception}<br>Log: see the task's log in Levante<br>Host: {os.uname().nodename}<br>")
    send_email(task.email, subject, body)
