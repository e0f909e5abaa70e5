import pytest

from home.models import HomePage
from tests.factories import ProductIndexPageFactory


@pytest.fixture
def home(db):
    return HomePage.objects.get()


@pytest.fixture
def catalogue(home):
    return ProductIndexPageFactory(parent=home)
