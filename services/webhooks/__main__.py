from libs.entrypoint import serve
from services.webhooks.app import create_app
from services.webhooks.settings import WebhooksSettings

serve(create_app, WebhooksSettings())
