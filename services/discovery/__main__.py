from libs.entrypoint import serve
from services.discovery.app import create_app
from services.discovery.settings import DiscoverySettings

serve(create_app, DiscoverySettings())
