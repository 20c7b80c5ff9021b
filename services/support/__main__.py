from libs.entrypoint import serve
from services.support.app import create_app
from services.support.settings import SupportSettings

serve(create_app, SupportSettings())
