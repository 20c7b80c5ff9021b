from libs.entrypoint import serve
from services.live.app import create_app
from services.live.settings import LiveSettings

serve(create_app, LiveSettings())
