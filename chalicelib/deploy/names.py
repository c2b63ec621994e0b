"""Names that are global on AWS (S3 buckets) carry the account and the region, so no two users collide.

Each name is a function of (settings, account, region). The template passes CloudFormation's own
`${AWS::AccountId}` / `${AWS::Region}` (inside an `Fn::Sub`), `levante deploy` passes the real ones: both
get the same name from the same code, and the IAM policies are built from these same functions.
"""

from __future__ import annotations

from chalicelib.store.settings import Settings

STACK_ACCOUNT, STACK_REGION = "${AWS::AccountId}", "${AWS::Region}"


def stack_name(settings: Settings) -> str:
    return settings.base  # one stack per stage: "{prefix}-{stage}"


def data_bucket(settings: Settings, account: str = STACK_ACCOUNT, region: str = STACK_REGION) -> str:
    if settings.bucket_override:  # LEVANTE_BUCKET: the user's own name, used as given
        return settings.bucket_override
    return f"{settings.base}-data-{account}-{region}"


def artifacts_bucket(prefix: str, account: str, region: str) -> str:
    """One per account and region for every stage: packages and templates, written by `levante deploy`."""
    return f"{prefix}-artifacts-{account}-{region}"


def tokens_path(settings: Settings) -> str:
    """SSM parameters `{path}/admin|operator|viewer` (SecureString): the API tokens of one stage."""
    return f"/{settings.base}/tokens"  # beside the secrets store's root, /{prefix}-{stage}
