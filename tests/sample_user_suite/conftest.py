import pytest
from app import Order


@pytest.fixture
def dynamorm_models() -> list[type]:
    return [Order]
