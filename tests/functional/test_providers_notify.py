"""Notifications: Slack webhooks against a real local HTTP server, email through a real local SMTP listener
(operator, notifier in on_failure_callback, and email_on_failure/email_on_retry), SES under moto."""

from __future__ import annotations

import json
import socketserver
import sys
import threading
from email import message_from_string
from pathlib import Path

import pytest

from tests.functional.provider_runs import run_dag_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
import provider_services as services  # noqa: E402


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink ready\r\n")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 sink\r\n")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].strip(" <>")
                self.wfile.write(b"250 OK\r\n")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 OK\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk.decode())
                self.server.mails.append((sender, recipients, message_from_string("".join(data))))  # type: ignore[attr-defined]
                sender, recipients = None, []
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSession)
    server.daemon_threads = True
    server.mails = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": server.server_address[1],
        "extra": {"from_email": "levante@example.com", "disable_ssl": True}}))
    yield server.mails
    server.shutdown()
    server.server_close()


@pytest.fixture
def slack(monkeypatch):
    with services.ScriptedHttpServer() as http:
        monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", json.dumps({
            "conn_type": "slackwebhook", "host": f"http://127.0.0.1:{http.port}/services",
            "password": "T000/B000/XXXX"}))
        yield http


DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.providers.slack.notifications.slack_webhook import send_slack_webhook_notification
from airflow.providers.smtp.notifications.smtp import send_smtp_notification
from airflow.providers.smtp.operators.smtp import EmailOperator

with DAG("notify", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         default_args={"email": ["oncall@example.com"], "email_on_retry": False}) as dag:
    SlackWebhookOperator(task_id="slack", slack_webhook_conn_id="slack_alerts", message="run {{ run_id }} started")
    EmailOperator(task_id="mail", to="team@example.com", subject="Report {{ ds }}", html_content="<b>all good</b>")

    @task(retries=1, retry_delay=0, on_failure_callback=[
        send_slack_webhook_notification(slack_webhook_conn_id="slack_alerts", text="{{ ti.task_id }} failed"),
        send_smtp_notification(to="owner@example.com", subject="failed: {{ ti.task_id }}")])
    def broken():
        raise RuntimeError("kaput")

    broken()
'''


def test_slack_and_email_operators_notifiers_and_alerts(smtp, slack, tmp_path) -> None:
    states = run_dag_file(tmp_path / "dags", DAG, "notify")
    assert states == {"slack": "success", "mail": "success", "broken": "failed"}
    texts = [json.loads(body)["text"] for path, body in slack.bodies if path == "/services/T000/B000/XXXX"]
    assert texts[0].startswith("run manual__") and texts[1] == "broken failed", texts
    by_subject = {mail["Subject"]: (rcpt, mail) for _, rcpt, mail in smtp}
    assert by_subject.keys() >= {"failed: broken"} and any(s.startswith("Report ") for s in by_subject)
    report = next(m for s, (_, m) in by_subject.items() if s.startswith("Report "))
    assert "<b>all good</b>" in report.get_payload()[0].get_payload(decode=True).decode()
    alerts = [(rcpt, m["Subject"]) for _, rcpt, m in smtp if m["Subject"].startswith("Airflow alert")]
    # email_on_failure (default True) after the last try; email_on_retry=False: no mail after try 1.
    assert alerts == [(["oncall@example.com"], alerts[0][1])] and "[failure]" in alerts[0][1], alerts


def test_slack_webhook_error_names_status(slack) -> None:
    from chalicelib.providers.slack import SlackWebhookHook
    from chalicelib.sdk.exceptions import AirflowException

    with pytest.raises(AirflowException, match="Status Code: 400"):
        SlackWebhookHook(slack_webhook_conn_id="slack_alerts").send(text="")


def test_send_email_without_smtp_connection_goes_through_ses(mocked_aws, monkeypatch) -> None:
    import boto3

    from chalicelib.providers.smtp import send_email

    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress="levante@example.com")
    monkeypatch.setenv("AIRFLOW__EMAIL__FROM_EMAIL", "levante@example.com")
    ses = boto3.client("ses", region_name="us-east-1")
    assert not sum(p["DeliveryAttempts"] for p in ses.get_send_statistics()["SendDataPoints"])
    send_email("someone@example.com", "hello", "<p>hi</p>")
    assert sum(p["DeliveryAttempts"] for p in ses.get_send_statistics()["SendDataPoints"]) >= 1
