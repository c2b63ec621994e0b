"""Fixtures the reliability tests share with tests/api and tests/functional (moto in-process, the API client)."""

from tests.api.conftest import api, dags_folder, stack  # noqa: F401 - fixtures
from tests.functional.conftest import aws_env, backend, mocked_aws  # noqa: F401 - fixtures
from tests.reliability.worker_env import env  # noqa: F401 - the worker tests' fixture
