from libs.entrypoint import serve
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings

serve(create_app, CatalogSettings())
