"""The one place that fixes what Lambda runs: the runtime, its Python, its platform and architecture.

python3.13 on purpose: AWS supports it until 2029-06-30 (python3.12 until 2028-10-31; python3.11 is
deprecated), Chalice and SAM accept it, and every binary dependency ships manylinux wheels for it.
Packaging never uses the Python that runs it: wheels are fetched for this version and platform.
"""

from __future__ import annotations

LAMBDA_PYTHON = "3.13"
LAMBDA_RUNTIME = f"python{LAMBDA_PYTHON}"
LAMBDA_ARCHITECTURE = "x86_64"
# glibc 2.17+: Lambda's Amazon Linux 2023 runs every manylinux2014 wheel.
LAMBDA_PLATFORM = "manylinux2014_x86_64"

# The Lambda Python runtime ships the AWS SDK; bundling a second copy would add 20 MB of cold start.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3")
